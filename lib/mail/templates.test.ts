import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetSettings } from "@/lib/config";
import { resetPasswordMail, verifyEmailMail } from "./templates";

describe("mail templates", () => {
  beforeAll(() => {
    process.env.APP_URL = "https://console.example.net/";
    resetSettings();
  });
  afterAll(() => {
    delete process.env.APP_URL;
    resetSettings();
  });

  it("builds the verification link from APP_URL and says how long it works", () => {
    const mail = verifyEmailMail({ to: "ann@example.com", token: "abc_DEF-123" });
    expect(mail.to).toBe("ann@example.com");
    expect(mail.subject).toBe("Verify your email address for Edge Console");
    expect(mail.link).toBe("https://console.example.net/verify-email/abc_DEF-123");
    expect(mail.text).toContain("Verify email address: https://console.example.net/verify-email/abc_DEF-123");
    expect(mail.text).toContain("expires in 24 hours");
    expect(mail.html).toContain('href="https://console.example.net/verify-email/abc_DEF-123"');
  });

  it("builds the reset link from APP_URL and says it signs out everywhere", () => {
    const mail = resetPasswordMail({ to: "ann@example.com", token: "t0k3n" });
    expect(mail.subject).toBe("Reset your Edge Console password");
    expect(mail.link).toBe("https://console.example.net/reset-password/t0k3n");
    expect(mail.text).toContain("expires in 60 minutes");
    expect(mail.text).toContain("signs you out on every device");
    expect(mail.text).toContain("ignore this mail");
  });
});
