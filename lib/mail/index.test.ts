import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetSettings } from "@/lib/config";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { composeMail, consoleLink, sendMail } from "./index";

describe("mail", () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    process.env.SMTP_URL = smtp.smtpUrl;
    process.env.APP_URL = "https://console.example.net";
    resetSettings();
  });
  afterAll(async () => {
    delete process.env.SMTP_URL;
    delete process.env.APP_URL;
    resetSettings();
    await smtp.close();
  });

  it("sends text and HTML parts through SMTP_URL, with links built from APP_URL", async () => {
    const link = consoleLink("/invite/abc");
    expect(link).toBe("https://console.example.net/invite/abc");
    await sendMail(
      composeMail({
        to: "Alice@Example.com",
        subject: "Join <Acme>",
        paragraphs: ["Bob invited you to <Acme>."],
        action: { label: "Accept", url: link },
      }),
    );
    const [mail] = smtp.mails("alice@example.com");
    expect(mail.subject).toBe("Join <Acme>");
    expect(mail.text).toContain("Accept: https://console.example.net/invite/abc");
    expect(mail.html).toContain('href="https://console.example.net/invite/abc"');
    expect(mail.html).toContain("&lt;Acme&gt;");
    expect(mail.html).not.toContain("<Acme>");
  });
});
