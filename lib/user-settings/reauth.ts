import { verifyPassword } from "@/lib/auth/password";
import { consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";

/** Outcome of a current-password check: ok, or a message for the "Current password" field. */
export type ReauthResult = { ok: true } | { ok: false; reason: "wrong-password" | "rate-limited"; message: string };

/**
 * Checks the signed-in user's current password before a sensitive change (password, email). Every attempt counts
 * against the `reauth` rate limit per client IP and per the user's email (`RATE_LIMIT_REAUTH_…`); a correct password
 * gives its attempt back, so only wrong ones use the limit up. argon2id verification (lib/auth/password).
 */
export async function checkCurrentPassword(params: { user: { email: string; passwordHash: string }; password: string; ip: string | null }): Promise<ReauthResult> {
  const keys = { ip: params.ip, email: params.user.email };
  const limit = await consumeRateLimit("reauth", keys);
  if (!limit.ok) return { ok: false, reason: "rate-limited", message: limit.message };
  if (!params.password || !(await verifyPassword(params.user.passwordHash, params.password))) {
    return { ok: false, reason: "wrong-password", message: "That is not your current password." };
  }
  await refundRateLimit("reauth", keys);
  return { ok: true };
}
