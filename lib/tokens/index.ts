import crypto from "node:crypto";

/** A new random link token: 32 bytes, base64url (43 characters). Only its hash is ever stored. */
export function newLinkToken(): string {
  return crypto.randomBytes(32).toString("base64url");
}

/** SHA-256 of a token, hex: what the database stores and looks tokens up by. */
export function hashToken(token: string): string {
  return crypto.createHash("sha256").update(token, "utf8").digest("hex");
}
