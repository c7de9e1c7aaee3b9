import "server-only";
import { checkEmailToken, createEmailToken, redeemResetPasswordToken, type EmailTokenCheck } from "@/lib/auth/email-tokens";
import { getUserByEmail } from "@/lib/users/queries";
import type { Mail } from "@/lib/mail";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { RESET_PASSWORD_TTL_MINUTES, resetPasswordMail } from "@/lib/mail/templates";
import { normaliseEmail } from "./email";
import { hashPassword } from "./password";

// Password reset (docs/product.md §3.1): a single-use link valid 1 hour, stored as a SHA-256 hash in `email_tokens` (kind
// `reset-password`). A new request replaces the user's older unused links. Using it sets the new password and
// bumps the session version, which signs the user out everywhere.

/**
 * Starts a reset for `email` (normalised here): issues a token, replacing the user's unused ones, and returns the
 * mail to send — or null when no user has that email (the caller answers the same either way: no enumeration).
 */
export async function startPasswordReset(params: { email: string; now?: Date }): Promise<Mail | null> {
  const now = params.now ?? new Date();
  const user = await getUserByEmail({ email: normaliseEmail(params.email) });
  if (!user) return null;
  const token = await createEmailToken({
    userId: user.id,
    kind: "reset-password",
    email: user.email,
    expiresAt: new Date(now.getTime() + RESET_PASSWORD_TTL_MINUTES * 60_000),
    replaceUnused: true,
  });
  return resetPasswordMail({ to: user.email, token });
}

/** What a reset link's token is worth now, without using it (the reset page shows the form only for `valid`). */
export async function checkResetToken(token: string, now = new Date()): Promise<EmailTokenCheck> {
  return checkEmailToken({ token, kind: "reset-password", now });
}

/**
 * Sets a new password through a reset link: hashes it (argon2id, RFC 9106) and, in one transaction, uses the
 * token, stores the hash, bumps `sessionVersion`, revokes every session and records `password.reset`. `password` must already be validated (8–256 characters).
 * Returns `valid` when the password changed, otherwise why the token was refused.
 */
export async function resetPassword(params: {
  token: string;
  password: string;
  now?: Date;
  request?: RequestInfo;
}): Promise<EmailTokenCheck> {
  const before = await checkResetToken(params.token, params.now);
  if (before.status !== "valid") return before;
  const passwordHash = await hashPassword(params.password);
  return redeemResetPasswordToken({ token: params.token, passwordHash, now: params.now, request: params.request });
}
