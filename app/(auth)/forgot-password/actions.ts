"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { emailField } from "@/lib/auth/email";
import { startPasswordReset } from "@/lib/auth/password-reset";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";

export type ForgotPasswordState = { sent?: boolean; error?: string; fieldErrors?: { email?: string }; values?: { email?: string } };

/**
 * Mails a password reset link when a user has that email, and answers the same whether or not one does (no
 * enumeration; the mail is sent after the response so timing does not tell either). Rate-limited per IP and email.
 */
export async function forgotPasswordAction(_prev: ForgotPasswordState, form: FormData): Promise<ForgotPasswordState> {
  const typed = String(form.get("email") ?? "");
  const values = { email: typed };
  const parsed = emailField.safeParse(typed);
  if (!parsed.success) return { fieldErrors: { email: parsed.error.issues[0]?.message ?? "Enter a valid email address." }, values };
  const limit = await consumeRateLimit("reset", { ip: clientIp(await headers()), email: parsed.data });
  if (!limit.ok) return { error: limit.message, values };
  const mail = await startPasswordReset({ email: parsed.data });
  if (mail) after(() => sendMailQuietly(mail));
  return { sent: true, values };
}
