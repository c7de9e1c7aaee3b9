import crypto from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { getDb, writeTransaction, first, one, affectedRows } from "@/db";
import { apiTokens } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { hashToken } from "@/lib/tokens";

// Personal API tokens (docs/product.md §3.6): `ec_` + 32 random bytes (base64url), shown once, stored only as SHA-256.
// Used by `git` over HTTP (Basic auth, user `token`) and by the REST API (Bearer / `section-token`).

/** Every token starts with this, so secret scanners and people recognise it. */
export const API_TOKEN_PREFIX = "ec_";

/** The exact shape of a token value: `ec_` + 43 base64url characters (32 bytes). */
export const API_TOKEN_PATTERN = /^ec_[A-Za-z0-9_-]{43}$/;

/** How many characters of the value are kept in clear (`ec_AbCd`) to tell tokens apart in lists. */
export const API_TOKEN_PREFIX_LENGTH = 7;

/** Longest expiry a user may choose, in days (ten years); no expiry is also allowed. */
export const MAX_EXPIRY_DAYS = 3650;

const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRY_MESSAGE = `Enter a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, or leave it empty.`;

/** A token as shown to its owner: never the hash, never the value. */
export type ApiToken = {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  readOnly: boolean;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
};

/** The columns of {@link ApiToken} (everything but the hash). */
export const apiTokenColumns = {
  id: apiTokens.id,
  userId: apiTokens.userId,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  readOnly: apiTokens.readOnly,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
  createdAt: apiTokens.createdAt,
};

/**
 * The fields of the "New token" form (FormData values): `name` (1–100 characters, trimmed), `expiresInDays`
 * (optional whole number 1–3650; empty = never expires), `readOnly` (a checkbox: present = read-only).
 */
export const createApiTokenSchema = z.object({
  name: z
    .string({ message: "Give the token a name." })
    .trim()
    .min(1, "Give the token a name, e.g. the machine or script that uses it.")
    .max(100, "Use at most 100 characters."),
  expiresInDays: z.preprocess(
    (v) => (typeof v === "string" ? (v.trim() === "" ? null : Number(v.trim())) : (v ?? null)),
    z.number({ message: EXPIRY_MESSAGE }).int(EXPIRY_MESSAGE).min(1, EXPIRY_MESSAGE).max(MAX_EXPIRY_DAYS, EXPIRY_MESSAGE).nullable(),
  ),
  readOnly: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
});

/** The raw form values {@link createApiTokenSchema} accepts. */
export type CreateApiTokenInput = z.input<typeof createApiTokenSchema>;

/** A new token value: `ec_` + 32 random bytes in base64url (46 characters). */
export function newApiTokenValue(): string {
  return API_TOKEN_PREFIX + crypto.randomBytes(32).toString("base64url");
}

/**
 * Creates a personal API token for `userId` (docs/product.md §3.6). `name`, `expiresInDays` (whole days from now, null = never)
 * and `readOnly` are as parsed by {@link createApiTokenSchema}. Stores the SHA-256 of the value (`hashToken`) and its
 * first 7 characters, and records `token.create` in the user's security log in the same transaction (with `request`,
 * the client's IP and User-Agent); returns the row and the value, which is never stored and cannot be shown again.
 */
export async function createApiToken(params: {
  userId: number;
  name: string;
  expiresInDays?: number | null;
  readOnly?: boolean;
  now?: Date;
  request?: RequestInfo;
}): Promise<{ token: ApiToken; value: string }> {
  const now = params.now ?? new Date();
  const days = params.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS)) {
    throw new RangeError(`expiresInDays must be a whole number from 1 to ${MAX_EXPIRY_DAYS}`);
  }
  const value = newApiTokenValue();
  return writeTransaction(async (tx) => {
    const token = await one(
      tx
        .insert(apiTokens)
        .values({
          userId: params.userId,
          name: params.name.trim(),
          tokenHash: hashToken(value),
          prefix: value.slice(0, API_TOKEN_PREFIX_LENGTH),
          readOnly: params.readOnly ?? false,
          expiresAt: days === null ? null : new Date(now.getTime() + days * DAY_MS),
          createdAt: now,
        })
        .returning(apiTokenColumns),
    );
    await recordSecurityEvent(tx, { userId: params.userId, kind: "token.create", ...params.request, data: tokenData(token), at: now });
    return { token, value };
  });
}

/** What the security log keeps about a token: its name and visible prefix (never the value). */
function tokenData(token: Pick<ApiToken, "name" | "prefix" | "readOnly">): Record<string, unknown> {
  return { tokenName: token.name, tokenPrefix: token.prefix, readOnly: token.readOnly };
}

/** The user's tokens, newest first, revoked ones included (the list shows them as revoked). */
export async function listApiTokens(params: { userId: number }): Promise<ApiToken[]> {
  return getDb()
    .select(apiTokenColumns)
    .from(apiTokens)
    .where(eq(apiTokens.userId, params.userId))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/**
 * Revokes one of the user's own tokens: from now on it authenticates nothing. A token of another user, or an
 * unknown id, is `not-found` (ids cannot be probed); revoking an already revoked token is `ok` and keeps its time.
 * A revocation that changed something records `token.revoke` in the user's security log in the same transaction.
 */
export function revokeApiToken(params: {
  userId: number;
  tokenId: number;
  now?: Date;
  request?: RequestInfo;
}): Promise<{ ok: true; token: ApiToken } | { ok: false; reason: "not-found" }> {
  const now = params.now ?? new Date();
  return writeTransaction(async (tx) => {
    const own = and(eq(apiTokens.id, params.tokenId), eq(apiTokens.userId, params.userId));
    const changed = affectedRows(
      await tx
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(own, isNull(apiTokens.revokedAt))),
    );
    const token = await first(tx.select(apiTokenColumns).from(apiTokens).where(own));
    if (!token) return { ok: false as const, reason: "not-found" as const };
    if (changed > 0)
      await recordSecurityEvent(tx, { userId: params.userId, kind: "token.revoke", ...params.request, data: tokenData(token), at: now });
    return { ok: true as const, token };
  });
}

/** Whether a token can be used at `now`: `active`, `revoked` or `expired` (expiry time included). */
export function tokenState(token: Pick<ApiToken, "revokedAt" | "expiresAt">, now = new Date()): "active" | "revoked" | "expired" {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}
