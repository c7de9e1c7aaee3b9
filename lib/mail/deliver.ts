import { log } from "@/lib/log";
import { sendMail, type Mail } from "./index";

/**
 * Sends a mail whose failure must not fail the user's action (e.g. signup still succeeds with the SMTP server
 * down): resolves true when sent, false after logging recipient, subject and the SMTP error (never the link,
 * which holds a credential). Never rejects.
 */
export async function sendMailQuietly(mail: Mail): Promise<boolean> {
  try {
    await sendMail(mail);
    return true;
  } catch (error) {
    log.error(
      `[mail] could not send to=${mail.to} subject=${JSON.stringify(mail.subject)}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
}
