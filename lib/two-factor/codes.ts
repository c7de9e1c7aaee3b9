import { and, eq, isNull, sql } from "drizzle-orm";
import { getDb, type Tx, first } from "@/db";
import { recoveryCodes, users } from "@/db/schema";
import { consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes";
import { openTotpState, sealTotpState } from "./secret-box";
import { matchTotp } from "./totp";

// Checking a code inside a write transaction: a TOTP code (replay-protected) or a recovery code (single use).

/** Where a request came from, for the security log and the per-IP limit. */
export type RequestContext = { ip?: string | null; userAgent?: string | null };

/** Which kind of code was accepted. */
export type CodeKind = "totp" | "recovery";

/** The code as typed without spaces (authenticator apps show "123 456"). */
export function cleanCode(input: string): string {
  return input.replace(/\s+/g, "").slice(0, 64);
}

/**
 * Accepts `code` for the user inside `tx`, or returns null. A six-digit code must match the stored secret within
 * ±1 time step (RFC 6238 §5.2) and be of a later step than the last one accepted (§5.2: a code is accepted once);
 * the accepted step is written back into the encrypted state in the same transaction, so two requests racing with
 * the same code cannot both pass (the transaction is BEGIN IMMEDIATE). With `allowRecovery`, an unused recovery
 * code is marked used in the same transaction.
 */
export async function acceptCode(
  tx: Tx,
  userId: number,
  input: string,
  options: { allowRecovery: boolean; now?: number },
): Promise<CodeKind | null> {
  const code = cleanCode(input);
  if (/^\d{6}$/.test(code)) {
    const row = await first(tx.select({ totpSecret: users.totpSecret }).from(users).where(eq(users.id, userId)));
    if (!row?.totpSecret) return null;
    const state = openTotpState(userId, row.totpSecret);
    const step = matchTotp(state.secret, code, options.now ?? Date.now());
    if (step === null || step <= state.lastStep) return null;
    await tx
      .update(users)
      .set({ totpSecret: sealTotpState(userId, { ...state, lastStep: step }) })
      .where(eq(users.id, userId));
    return "totp";
  }
  if (options.allowRecovery && looksLikeRecoveryCode(code)) {
    const used = await first(
      tx
        .update(recoveryCodes)
        .set({ usedAt: new Date() })
        .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, hashRecoveryCode(code)), isNull(recoveryCodes.usedAt)))
        .returning({ id: recoveryCodes.id }),
    );
    return used ? "recovery" : null;
  }
  return null;
}

/** Replaces the user's recovery codes with ten new ones inside `tx`; returns them in clear (shown once, never stored). */
export async function replaceRecoveryCodes(tx: Tx, userId: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await tx.insert(recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })));
  return codes;
}

/** Number of unused recovery codes of the user. */
export async function unusedRecoveryCodes(tx: Pick<Tx, "select">, userId: number): Promise<number> {
  const row = await first(
    tx
      .select({ n: sql<number>`count(*)` })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
  );
  return row!.n;
}

/** Number of unused recovery codes of the user, read now (the two-factor settings page). */
export async function recoveryCodesLeft(userId: number): Promise<number> {
  return unusedRecoveryCodes(getDb(), userId);
}

/** Why a code operation was refused: a wrong code, the rate limit (with the wait), or the wrong state (e.g. not on). */
export type CodeFailure = { ok: false; code: "invalid" | "rate_limited" | "state"; message: string; retryAfterSeconds?: number };

/**
 * Runs a code check under the `two-factor` rate limit (per client IP and per user's email; sign-in, confirm,
 * disable and new recovery codes share it). When `check` succeeds its attempt is given back, so only wrong codes
 * use up the limit. Refused by the limit: `rate_limited` with the wait, and `check` is not run.
 */
export async function limitedCodeCheck<T extends { ok: true }>(
  keys: { email: string; ip?: string | null },
  check: () => Promise<T | CodeFailure>,
): Promise<T | CodeFailure> {
  const limit = await consumeRateLimit("two-factor", keys);
  if (!limit.ok) return { ok: false, code: "rate_limited", message: limit.message, retryAfterSeconds: limit.retryAfterSeconds };
  const result = await check();
  if (result.ok) await refundRateLimit("two-factor", keys);
  return result;
}
