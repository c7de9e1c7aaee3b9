import crypto from "node:crypto";

// The ownership token a domain's `TXT _edge-challenge.<hostname>` must hold (docs/product.md "Domains and DNS
// go-live status"). DNS panels and resolvers may change the case of what they store, so new tokens use an
// alphabet that lower-casing leaves intact: RFC 4648 §6 base32 in lower case (a–z, 2–7). Tokens made before
// (32 random bytes, base64url, mixed case) stay valid and are compared exactly, as before.

/** Random bytes in a new token: 20 bytes = 160 bits, well above the 128 bits a guess-proof secret needs. */
export const VERIFICATION_TOKEN_BYTES = 20;

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 §6 base32 of `bytes`, lower case, without `=` padding (20 bytes → 32 characters). */
export function base32Lower(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * A new ownership token for a domain: {@link VERIFICATION_TOKEN_BYTES} random bytes from node's CSPRNG as lower-case
 * base32 (RFC 4648 §6, no padding): 32 characters of `a–z2–7`, e.g. `mfrggzdfmztwq2lknnwg23tpobyxe43u`. Never throws.
 */
export function newVerificationToken(): string {
  return base32Lower(crypto.randomBytes(VERIFICATION_TOKEN_BYTES));
}

/** `value` with ASCII A–Z lower-cased and every other character kept (no Unicode case folding: `K` U+212A stays). */
function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * True when `value` (one TXT value, already unwrapped from quotes and spaces) is exactly `token`. A token without
 * upper-case letters (every token from {@link newVerificationToken}) is compared ignoring ASCII case, since DNS
 * panels may change the case of what they store; a token with upper-case letters (base64url tokens made before)
 * must match exactly, as lower-casing would lose part of it. Never a substring match. False for an empty token.
 */
export function matchesVerificationToken(value: string, token: string): boolean {
  if (token.length === 0) return false;
  if (value === token) return true;
  return token === asciiLower(token) && asciiLower(value) === token;
}
