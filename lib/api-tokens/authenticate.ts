import { and, eq, isNull, lt, or } from "drizzle-orm";
import { getDb, writeTransaction, first, affectedRows } from "@/db";
import { apiTokens, users } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { hashToken } from "@/lib/tokens";
import { API_TOKEN_PATTERN, apiTokenColumns, tokenState, type ApiToken } from "./tokens";
import type { UserRow } from "@/db/types";

/** `lastUsedAt` is written at most once per this interval per token (a busy CI job does not write on every call). */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The user a token acts for (the `users` row, read now: roles are looked up per request). */
export type TokenUser = UserRow;

/**
 * The user and token for a presented API token value (docs/product.md §3.6), or null when the value is malformed (not
 * `ec_` + 43 base64url characters), unknown, revoked or expired, or its user is gone. Looks the token up by its
 * SHA-256 only. Records `lastUsedAt = now` when it was never set or is older than a minute (one conditional
 * UPDATE, so concurrent requests do not pile up writes), and with it `token.use` in the user's security log (so at
 * most one row per token per minute; `options.request` gives its IP and User-Agent). The token acts with its
 * user's current roles.
 */
export async function authenticateToken(
  value: string,
  options: { now?: Date; request?: RequestInfo } = {},
): Promise<{ user: TokenUser; token: ApiToken } | null> {
  if (typeof value !== "string" || !API_TOKEN_PATTERN.test(value)) return null;
  const now = options.now ?? new Date();
  const row = await first(
    getDb()
      .select({ token: apiTokenColumns, user: users })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.tokenHash, hashToken(value))),
  );
  if (!row || tokenState(row.token, now) !== "active") return null;

  const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  // A fresh `lastUsedAt` (the common case of a busy client) needs no write, so no write lock either.
  if (row.token.lastUsedAt && row.token.lastUsedAt.getTime() >= stale.getTime()) return { user: row.user, token: row.token };
  const touched = await writeTransaction(async (tx) => {
    const result = await tx
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(and(eq(apiTokens.id, row.token.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, stale))));
    if (affectedRows(result) === 0) return false;
    await recordSecurityEvent(tx, {
      userId: row.user.id,
      kind: "token.use",
      ...options.request,
      data: { tokenName: row.token.name, tokenPrefix: row.token.prefix, readOnly: row.token.readOnly },
      at: now,
    });
    return true;
  });
  if (!touched) return { user: row.user, token: row.token };
  return { user: row.user, token: { ...row.token, lastUsedAt: now } };
}
