import crypto from "node:crypto";
import { authSecret } from "@/lib/config";

// Encryption of the stored TOTP state (users.totp_secret): AES-256-GCM with a key derived from the Auth.js secret.

/** What `users.totp_secret` holds once decrypted: the base32 secret and the last time step accepted (replay guard). */
export type TotpState = { secret: string; lastStep: number };

const VERSION = "v1";
let cachedKey: { from: string; key: Buffer } | null = null;

/** The 32-byte AES key: HKDF-SHA256 (RFC 5869) of `authSecret()`, info "edge-console totp-secret v1". */
function key(): Buffer {
  const secret = authSecret();
  if (cachedKey?.from !== secret) {
    const derived = crypto.hkdfSync("sha256", secret, "edge-console", "edge-console totp-secret v1", 32);
    cachedKey = { from: secret, key: Buffer.from(derived) };
  }
  return cachedKey.key;
}

/**
 * Encrypts a user's TOTP state as `v1.<iv>.<ciphertext>.<tag>` (base64url; AES-256-GCM, 96-bit random IV). The user
 * id is the additional authenticated data, so a value copied to another user's row does not decrypt.
 */
export function sealTotpState(userId: number, state: TotpState): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key(), iv);
  cipher.setAAD(Buffer.from(`user:${userId}`));
  const body = Buffer.concat([cipher.update(JSON.stringify({ s: state.secret, l: state.lastStep }), "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/**
 * Decrypts what `sealTotpState` wrote for this user. Throws when the value was tampered with, belongs to another
 * user, or was sealed under another auth secret (changing `AUTH_SECRET` invalidates every enrolment).
 */
export function openTotpState(userId: number, sealed: string): TotpState {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== VERSION || !iv || !body || !tag) throw new Error("two-factor: unreadable TOTP secret");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(`user:${userId}`));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  const json = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  const parsed = JSON.parse(json) as { s: string; l: number };
  return { secret: parsed.s, lastStep: parsed.l };
}
