import QRCode from "qrcode";
import { eq } from "drizzle-orm";
import { writeTransaction, first } from "@/db";
import { recoveryCodes, users } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import { acceptCode, limitedCodeCheck, replaceRecoveryCodes, type CodeFailure, type RequestContext } from "./codes";
import { openTotpState, sealTotpState } from "./secret-box";
import { manualKey, newTotpSecret, totpUri } from "./totp";

// Turning two-factor authentication on and off (docs/product.md §3.1): enrol → confirm with a first code → recovery codes.

/** The user fields these operations read (a row of `users`). */
export type TwoFactorUser = { id: number; email: string; totpSecret: string | null; totpEnabledAt: Date | null };

/** What the settings page shows while an enrolment waits for its first code. */
export type PendingEnrolment = { uri: string; manualKey: string; qrDataUrl: string };

/** Message for a wrong (or already used) code in the settings. */
export const WRONG_CODE = "That code is not valid. Enter the current 6-digit code from your authenticator app.";

const state = (message: string): CodeFailure => ({ ok: false, code: "state", message });

/**
 * Starts an enrolment: stores a new random secret (encrypted, not yet enabled), replacing an unconfirmed one.
 * Refused (`state`) when two-factor authentication is already on.
 */
export async function startEnrolment(params: { userId: number }): Promise<{ ok: true } | CodeFailure> {
  return writeTransaction(async (tx) => {
    const user = await first(tx.select({ enabled: users.totpEnabledAt }).from(users).where(eq(users.id, params.userId)));
    if (!user) return state("Your login no longer exists.");
    if (user.enabled) return state("Two-factor authentication is already on.");
    const totpSecret = sealTotpState(params.userId, { secret: newTotpSecret(), lastStep: 0 });
    await tx.update(users).set({ totpSecret }).where(eq(users.id, params.userId));
    return { ok: true as const };
  });
}

/** Forgets an unconfirmed enrolment (no-op when none, or when two-factor authentication is on). */
export async function cancelEnrolment(params: { userId: number }): Promise<void> {
  await writeTransaction(async (tx) => {
    const user = await first(tx.select({ enabled: users.totpEnabledAt }).from(users).where(eq(users.id, params.userId)));
    if (user && !user.enabled) await tx.update(users).set({ totpSecret: null }).where(eq(users.id, params.userId));
  });
}

/**
 * The enrolment waiting for confirmation, or null: the `otpauth://` URI (Key Uri Format), the QR code of that URI
 * as an SVG data URL (rendered on the server with `qrcode`), and the secret in groups of four for typing by hand.
 * Null too when the stored secret cannot be decrypted any more (the auth secret changed).
 */
export async function pendingEnrolment(user: TwoFactorUser): Promise<PendingEnrolment | null> {
  if (!user.totpSecret || user.totpEnabledAt) return null;
  let secret: string;
  try {
    secret = openTotpState(user.id, user.totpSecret).secret;
  } catch {
    return null; // sealed under another AUTH_SECRET: the user simply starts the set-up again
  }
  const uri = totpUri(secret, user.email);
  const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { uri, manualKey: manualKey(secret), qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}` };
}

/**
 * Confirms an enrolment with a first code from the app (±1 step): turns two-factor authentication on, creates ten
 * recovery codes (stored as SHA-256 hashes) and records `two-factor.enable`, in one transaction. Returns the codes
 * in clear, once. Refusals: `invalid` (wrong code), `rate_limited`, `state` (no enrolment started, or already on).
 */
export async function confirmEnrolment(params: {
  user: TwoFactorUser;
  code: string;
  context: RequestContext;
}): Promise<{ ok: true; recoveryCodes: string[] } | CodeFailure> {
  const { user, context } = params;
  return limitedCodeCheck({ email: user.email, ip: context.ip }, () =>
    writeTransaction(async (tx) => {
      const row = await first(
        tx.select({ secret: users.totpSecret, enabled: users.totpEnabledAt }).from(users).where(eq(users.id, user.id)),
      );
      if (!row || row.enabled) return state("Two-factor authentication is already on.");
      if (!row.secret) return state("Start the set-up again: no authenticator app is waiting for confirmation.");
      if (!(await acceptCode(tx, user.id, params.code, { allowRecovery: false })))
        return { ok: false as const, code: "invalid" as const, message: WRONG_CODE };
      await tx.update(users).set({ totpEnabledAt: new Date() }).where(eq(users.id, user.id));
      const recoveryCodes = await replaceRecoveryCodes(tx, user.id);
      await recordSecurityEvent(tx, { userId: user.id, kind: "two-factor.enable", ip: context.ip, userAgent: context.userAgent });
      return { ok: true as const, recoveryCodes };
    }),
  );
}

/**
 * Replaces the recovery codes with ten new ones after a fresh code (TOTP or an unused recovery code) and records
 * `two-factor.recovery-codes`. Returns the new codes in clear, once. Refusals as for `confirmEnrolment`.
 */
export async function regenerateRecoveryCodes(params: {
  user: TwoFactorUser;
  code: string;
  context: RequestContext;
}): Promise<{ ok: true; recoveryCodes: string[] } | CodeFailure> {
  const { user, context } = params;
  return limitedCodeCheck({ email: user.email, ip: context.ip }, () =>
    writeTransaction(async (tx) => {
      const row = await first(tx.select({ enabled: users.totpEnabledAt }).from(users).where(eq(users.id, user.id)));
      if (!row?.enabled) return state("Two-factor authentication is off.");
      if (!(await acceptCode(tx, user.id, params.code, { allowRecovery: true })))
        return { ok: false as const, code: "invalid" as const, message: WRONG_CODE };
      const recoveryCodes = await replaceRecoveryCodes(tx, user.id);
      await recordSecurityEvent(tx, { userId: user.id, kind: "two-factor.recovery-codes", ip: context.ip, userAgent: context.userAgent });
      return { ok: true as const, recoveryCodes };
    }),
  );
}

/**
 * Turns two-factor authentication off after a fresh code (TOTP or an unused recovery code): forgets the secret and
 * the recovery codes and records `two-factor.disable`, in one transaction. Refusals as for `confirmEnrolment`.
 */
export async function disableTwoFactor(params: {
  user: TwoFactorUser;
  code: string;
  context: RequestContext;
}): Promise<{ ok: true } | CodeFailure> {
  const { user, context } = params;
  return limitedCodeCheck({ email: user.email, ip: context.ip }, () =>
    writeTransaction(async (tx) => {
      const row = await first(tx.select({ enabled: users.totpEnabledAt }).from(users).where(eq(users.id, user.id)));
      if (!row?.enabled) return state("Two-factor authentication is already off.");
      const kind = await acceptCode(tx, user.id, params.code, { allowRecovery: true });
      if (!kind) return { ok: false as const, code: "invalid" as const, message: WRONG_CODE };
      await tx.update(users).set({ totpSecret: null, totpEnabledAt: null }).where(eq(users.id, user.id));
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
      await recordSecurityEvent(tx, {
        userId: user.id,
        kind: "two-factor.disable",
        ip: context.ip,
        userAgent: context.userAgent,
        data: { with: kind },
      });
      return { ok: true as const };
    }),
  );
}
