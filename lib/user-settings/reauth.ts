import { writeTransaction } from "@/db";
import { verifyPassword } from "@/lib/auth/password";
import { consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";

/** Outcome of a current-password check: ok, or a message for the "Current password" field. */
export type ReauthResult = { ok: true } | { ok: false; reason: "wrong-password" | "rate-limited"; message: string };

/** What the current password was asked for; stored as `data.purpose` of a `reauth.failure` security event. */
export type ReauthPurpose = "password.change" | "email.change" | "user.delete";

/**
 * Checks the signed-in user's current password before a sensitive change (password, email, deleting the user).
 * Every attempt counts against the `reauth` rate limit per client IP and per the user's email (`RATE_LIMIT_REAUTH_…`);
 * a correct password gives its attempt back, so only wrong ones use the limit up. argon2id verification
 * (lib/auth/password). A wrong password is recorded in the user's security log as `reauth.failure` `{ purpose }`
 * (docs/product.md §3.2); an attempt the limit refuses is not (it was never checked).
 */
export async function checkCurrentPassword(params: {
  user: { id: number; email: string; passwordHash: string };
  password: string;
  request: RequestInfo;
  purpose: ReauthPurpose;
}): Promise<ReauthResult> {
  const keys = { ip: params.request.ip, email: params.user.email };
  const limit = await consumeRateLimit("reauth", keys);
  if (!limit.ok) return { ok: false, reason: "rate-limited", message: limit.message };
  if (!params.password || !(await verifyPassword(params.user.passwordHash, params.password))) {
    await writeTransaction((tx) =>
      recordSecurityEvent(tx, { userId: params.user.id, kind: "reauth.failure", ...params.request, data: { purpose: params.purpose } }),
    );
    return { ok: false, reason: "wrong-password", message: "That is not your current password." };
  }
  await refundRateLimit("reauth", keys);
  return { ok: true };
}
