import "server-only";
import { createEmailToken, redeemVerifyEmailToken, type EmailTokenCheck } from "@/lib/auth/email-tokens";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { VERIFY_EMAIL_TTL_HOURS, verifyEmailMail } from "@/lib/mail/templates";

// Email verification (docs/product.md §3.1): a single-use link valid 24 hours, stored as a SHA-256 hash in `email_tokens`
// (kind `verify-email`). The console works before verification; the console layout offers to resend the link.

/**
 * Issues a verification token for the user's current email and mails the link (`APP_URL/verify-email/<token>`).
 * Earlier links stay valid until they expire. Resolves false (after logging) when the mail could not be sent;
 * never rejects for a mail failure.
 */
export async function sendVerificationMail(user: { id: number; email: string }, now = new Date()): Promise<boolean> {
  const token = await createEmailToken({
    userId: user.id,
    kind: "verify-email",
    email: user.email,
    expiresAt: new Date(now.getTime() + VERIFY_EMAIL_TTL_HOURS * 3600_000),
  });
  return sendMailQuietly(verifyEmailMail({ to: user.email, token }));
}

/**
 * Uses a verification link's token: `valid` → the token is now used and the user's address verified (only when the
 * token's address is still the user's email); otherwise the reason (`unknown`, `used`, `expired`, `email-changed`).
 */
export async function verifyEmail(token: string, now = new Date()): Promise<EmailTokenCheck> {
  return redeemVerifyEmailToken({ token, now });
}
