import { Secret, TOTP } from "otpauth";

// TOTP (RFC 6238) with the parameters every authenticator app understands: SHA-1, 6 digits, 30-second steps.

/** Issuer shown in authenticator apps next to the user's email. */
export const TOTP_ISSUER = "Edge Console";
const PERIOD = 30;

/** A new random 160-bit secret (RFC 4226 §4 recommends 160 bits), base32 without padding. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = "user"): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label, algorithm: "SHA1", digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });
}

/** The `otpauth://totp/…` URI (Key Uri Format) an authenticator app reads from the QR code. */
export function totpUri(secret: string, email: string): string {
  return totp(secret, email).toString();
}

/** The secret for typing by hand: groups of four characters ("ABCD EFGH …"). */
export function manualKey(secret: string): string {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

/** The time step (RFC 6238 counter T) of `timestamp` in milliseconds. */
export function timeStep(timestamp = Date.now()): number {
  return Math.floor(timestamp / 1000 / PERIOD);
}

/**
 * The time step whose code `code` is, within ±1 step of `timestamp` (clock drift, RFC 6238 §5.2), or null when it is
 * none of them. `code` must be exactly six digits (spaces removed by the caller).
 */
export function matchTotp(secret: string, code: string, timestamp = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp, window: 1 });
  return delta === null ? null : timeStep(timestamp) + delta;
}
