import net from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first } from "@/db";
import { emailTokens, users } from "@/db/schema";
import { createUser, getUserById } from "@/lib/users/queries";
import { resetSettings } from "@/lib/config";
import { sendMail } from "@/lib/mail";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { hashToken } from "@/lib/tokens";
import { sendVerificationMail, verifyEmail } from "./email-verification";
import { hashPassword, verifyPassword } from "./password";
import { checkResetToken, resetPassword, startPasswordReset } from "./password-reset";

const APP_URL = "https://console.example.net";
const tokenOf = (link: string | undefined, prefix: string) => {
  const url = new URL(link ?? "");
  expect(url.origin).toBe(APP_URL);
  expect(url.pathname.startsWith(prefix)).toBe(true);
  return url.pathname.slice(prefix.length);
};

describe("email links (verification and password reset)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let smtp: TestSmtpServer;
  let n = 0;
  const newUser = async (email = `user${++n}@example.com`) => {
    const created = await createUser({ email, name: null, passwordHash: await hashPassword("old password") });
    if (!created.ok) throw new Error("user exists");
    return created.user;
  };

  beforeAll(async () => {
    temp = makeTempDataDir("ec-links-");
    smtp = await startSmtpServer();
  });
  beforeEach(() => {
    process.env.SMTP_URL = smtp.smtpUrl;
    process.env.APP_URL = APP_URL;
    resetSettings();
  });
  afterAll(async () => {
    delete process.env.SMTP_URL;
    delete process.env.APP_URL;
    resetSettings();
    await smtp.close();
    temp.cleanup();
  });

  it("mails a verification link through SMTP and stores only its SHA-256", async () => {
    const user = await newUser();
    expect(await sendVerificationMail(user)).toBe(true);
    const [mail] = smtp.mails(user.email);
    expect(mail.subject).toBe("Verify your email address for Edge Console");
    const link = mail.text.match(/https?:\/\/\S+\/verify-email\/\S+/)?.[0];
    const token = tokenOf(link, "/verify-email/");
    expect(token.length).toBeGreaterThanOrEqual(43);
    const rows = await getDb().select().from(emailTokens).where(eq(emailTokens.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "verify-email", email: user.email, tokenHash: hashToken(token), usedAt: null });
    expect(JSON.stringify(rows)).not.toContain(token);
    const hours = (rows[0].expiresAt.getTime() - rows[0].createdAt.getTime()) / 3600_000;
    expect(hours).toBeCloseTo(24, 1);
  });

  it("verifies once; a second use, an expired or an unknown link each say why", async () => {
    const user = await newUser();
    await sendVerificationMail(user);
    const token = tokenOf(
      smtp
        .mails(user.email)
        .at(-1)
        ?.text.match(/\S+\/verify-email\/\S+/)?.[0],
      "/verify-email/",
    );
    expect((await getUserById({ id: user.id }))?.emailVerifiedAt).toBeNull();

    const first = await verifyEmail(token);
    expect(first.status).toBe("valid");
    expect((await getUserById({ id: user.id }))?.emailVerifiedAt).toBeInstanceOf(Date);
    expect((await verifyEmail(token)).status).toBe("used");
    expect((await verifyEmail("no-such-token")).status).toBe("unknown");
    expect((await verifyEmail("")).status).toBe("unknown");
    expect((await verifyEmail("x".repeat(10_000))).status).toBe("unknown");

    const later = await newUser();
    await sendVerificationMail(later);
    const laterToken = tokenOf(
      smtp
        .mails(later.email)
        .at(-1)
        ?.text.match(/\S+\/verify-email\/\S+/)?.[0],
      "/verify-email/",
    );
    expect((await verifyEmail(laterToken, new Date(Date.now() + 25 * 3600_000))).status).toBe("expired");
    expect((await getUserById({ id: later.id }))?.emailVerifiedAt).toBeNull();
  });

  it("does not verify an address the user no longer has", async () => {
    const user = await newUser();
    await sendVerificationMail(user);
    const token = tokenOf(
      smtp
        .mails(user.email)
        .at(-1)
        ?.text.match(/\S+\/verify-email\/\S+/)?.[0],
      "/verify-email/",
    );
    await writeTransaction(async (tx) => {
      await tx
        .update(users)
        .set({ email: `changed.${user.email}` })
        .where(eq(users.id, user.id));
    });
    expect((await verifyEmail(token)).status).toBe("email-changed");
    expect((await getUserById({ id: user.id }))?.emailVerifiedAt).toBeNull();
  });

  it("keeps the token and resolves false when the SMTP server is down (signup must not fail)", async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    process.env.SMTP_URL = `smtp://127.0.0.1:${closed}`;
    resetSettings();
    await expect(sendMail({ to: "x@example.com", subject: "s", text: "t", html: "h" })).rejects.toThrow();
    const user = await newUser();
    expect(await sendVerificationMail(user)).toBe(false);
    expect(await getDb().select().from(emailTokens).where(eq(emailTokens.userId, user.id))).toHaveLength(1);
  });

  it("resets a password once, signs out everywhere, and replaces older links", async () => {
    const user = await newUser("Reset.Me@example.com".toLowerCase());
    expect(await startPasswordReset({ email: "nobody@example.com" })).toBeNull();

    const older = await startPasswordReset({ email: "  RESET.me@Example.com " });
    const mail = await startPasswordReset({ email: "reset.me@example.com" });
    expect(mail?.to).toBe(user.email);
    const olderToken = tokenOf(older?.link, "/reset-password/");
    const token = tokenOf(mail?.link, "/reset-password/");
    expect((await checkResetToken(olderToken)).status).toBe("unknown"); // replaced by the newer request
    expect((await checkResetToken(token)).status).toBe("valid");
    const row = await first(
      getDb()
        .select()
        .from(emailTokens)
        .where(eq(emailTokens.tokenHash, hashToken(token))),
    );
    expect((row!.expiresAt.getTime() - row!.createdAt.getTime()) / 60_000).toBeCloseTo(60, 0);

    expect((await resetPassword({ token, password: "brand new password", now: new Date(Date.now() + 61 * 60_000) })).status).toBe(
      "expired",
    );
    expect((await resetPassword({ token, password: "brand new password" })).status).toBe("valid");
    const after = (await getUserById({ id: user.id }))!;
    expect(after.sessionVersion).toBe(user.sessionVersion + 1);
    expect(await verifyPassword(after.passwordHash, "brand new password")).toBe(true);
    expect(await verifyPassword(after.passwordHash, "old password")).toBe(false);
    expect(after.emailVerifiedAt).toBeInstanceOf(Date);

    expect((await resetPassword({ token, password: "third password!" })).status).toBe("used");
    expect(await verifyPassword((await getUserById({ id: user.id }))!.passwordHash, "brand new password")).toBe(true);
    expect((await resetPassword({ token: "forged", password: "third password!" })).status).toBe("unknown");
  });

  it("a verification token is not a reset token", async () => {
    const user = await newUser();
    await sendVerificationMail(user);
    const token = tokenOf(
      smtp
        .mails(user.email)
        .at(-1)
        ?.text.match(/\S+\/verify-email\/\S+/)?.[0],
      "/verify-email/",
    );
    expect((await checkResetToken(token)).status).toBe("unknown");
    expect((await resetPassword({ token, password: "sneaky password" })).status).toBe("unknown");
  });
});
