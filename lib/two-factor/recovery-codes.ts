import crypto from "node:crypto";
import { hashToken } from "@/lib/tokens";

// Recovery codes (docs/product.md §3.1): ten random single-use codes, shown once, stored only as SHA-256 hashes.

/** How many recovery codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

// Letters and digits without look-alikes (no 0/o, 1/l/i, u): 30 symbols.
const SYMBOLS = "abcdefghjkmnpqrstvwxyz23456789";

/** One new code, e.g. `k3x9q-2mf7a` (10 symbols of a 30-letter alphabet ≈ 49 bits). */
export function newRecoveryCode(): string {
  const pick = () => SYMBOLS[crypto.randomInt(SYMBOLS.length)];
  const part = () => Array.from({ length: 5 }, pick).join("");
  return `${part()}-${part()}`;
}

/** The code as typed, reduced to its symbols: lower-cased, spaces and dashes removed. */
export function normaliseRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, "");
}

/** Hex SHA-256 of the normalised code (`hashToken`): codes are high-entropy, so a fast hash is enough (unlike passwords). */
export function hashRecoveryCode(input: string): string {
  return hashToken(normaliseRecoveryCode(input));
}

/** True when `input` looks like a recovery code (10 symbols once normalised) rather than a 6-digit TOTP code. */
export function looksLikeRecoveryCode(input: string): boolean {
  return /^[a-z0-9]{10}$/.test(normaliseRecoveryCode(input));
}
