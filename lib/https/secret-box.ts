import crypto from "node:crypto";
import { authSecret } from "@/lib/config";

// Private keys at rest (docs/product.md §9): certificate keys and the ACME account key are sealed like TOTP secrets
// (lib/two-factor/secret-box.ts): AES-256-GCM under a key derived from the Auth.js secret, with its own HKDF info so
// the two uses never share a key.

const VERSION = "k1";
let cachedKey: { from: string; key: Buffer } | null = null;

/** The 32-byte AES key: HKDF-SHA256 (RFC 5869) of `authSecret()`, info "edge-console private-key v1". */
function key(): Buffer {
  const secret = authSecret();
  if (cachedKey?.from !== secret) {
    const derived = crypto.hkdfSync("sha256", secret, "edge-console", "edge-console private-key v1", 32);
    cachedKey = { from: secret, key: Buffer.from(derived) };
  }
  return cachedKey.key;
}

/**
 * Seals a private key (PEM text) as `k1.<iv>.<ciphertext>.<tag>` (base64url, AES-256-GCM, 96-bit random IV).
 * `context` (e.g. `domain:12`, `acme-account:<directory URL>`) is the additional authenticated data: a value
 * copied to another row does not open.
 */
export function sealPrivateKey(context: string, pem: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key(), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(pem, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/**
 * Opens what {@link sealPrivateKey} sealed under the same `context`. Throws an Error (naming no key material) when
 * the value was tampered with, belongs to another context, or was sealed under another auth secret.
 */
export function openPrivateKey(context: string, sealed: string): string {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== VERSION || !iv || !body || !tag) throw new Error("https: unreadable sealed private key");
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(`https: the sealed private key of ${context} does not open (another AUTH_SECRET, or altered)`);
  }
}
