import { and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { getDb, writeTransaction, type Tx, first, affectedRows } from "@/db";
import { newLinkToken } from "@/lib/tokens";
import { userSessions, users } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import type { UserSessionRow } from "@/db/types";

// Sign-ins as rows (docs/product.md §3.1 sessions): every sign-in gets a `user_sessions` row whose random key travels in the
// session token (JWT). A request is signed in only while its row is unrevoked AND the token's session version
// equals the user's. Revoking a row signs that one browser out; "sign out everywhere" bumps the version and
// revokes every row.

export type { UserSessionRow };

/** `last_seen_at` is written at most once per this interval per session (not on every request). */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/** A new random session key: 32 bytes, base64url (43 characters), as every other secret link token. */
export function newSessionKey(): string {
  return newLinkToken();
}

/**
 * Starts a session for a user who just signed in: inserts its row (User-Agent, client IP) and records
 * `signin.success` in the user's security log, in one transaction. Returns the key to carry in the token.
 */
export async function startUserSession(params: {
  userId: number;
  request: RequestInfo;
  now?: Date;
  data?: Record<string, unknown>;
}): Promise<string> {
  const sessionKey = newSessionKey();
  const at = params.now ?? new Date();
  await writeTransaction(async (tx) => {
    await tx.insert(userSessions).values({
      userId: params.userId,
      sessionKey,
      userAgent: params.request.userAgent?.slice(0, 512) ?? null,
      ip: params.request.ip,
      createdAt: at,
      lastSeenAt: at,
    });
    await recordSecurityEvent(tx, { userId: params.userId, kind: "signin.success", ...params.request, data: params.data, at });
  });
  return sessionKey;
}

/**
 * True when `sessionKey` names an unrevoked session of `userId`. Bumps its `last_seen_at` (and IP, when it changed)
 * when the stored time is older than `LAST_SEEN_RESOLUTION_MS` — one conditional UPDATE, so busy pages do not write
 * on every request.
 */
export async function checkUserSession(params: {
  userId: number;
  sessionKey: string | null | undefined;
  ip?: string | null;
  now?: Date;
}): Promise<boolean> {
  if (!params.sessionKey || params.sessionKey.length > 100) return false;
  const now = params.now ?? new Date();
  const row = await first(
    getDb()
      .select({ id: userSessions.id, lastSeenAt: userSessions.lastSeenAt })
      .from(userSessions)
      .where(and(eq(userSessions.sessionKey, params.sessionKey), eq(userSessions.userId, params.userId), isNull(userSessions.revokedAt))),
  );
  if (!row) return false;
  if (now.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    // Only a stale row takes the write lock; the UPDATE stays conditional, so concurrent requests write once.
    await writeTransaction(async (tx) => {
      await tx
        .update(userSessions)
        .set({ lastSeenAt: now, ...(params.ip && params.ip !== "unknown" ? { ip: params.ip } : {}) })
        .where(and(eq(userSessions.id, row.id), lt(userSessions.lastSeenAt, new Date(now.getTime() - LAST_SEEN_RESOLUTION_MS + 1))));
    });
  }
  return true;
}

/** How long a session token lives (Auth.js `session.maxAge`), in seconds: 30 days. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/**
 * The user's unrevoked sessions seen within the token lifetime (an older row's token has expired), most recently
 * seen first.
 */
export async function listActiveSessions(params: { userId: number; now?: Date }): Promise<UserSessionRow[]> {
  const oldest = new Date((params.now ?? new Date()).getTime() - SESSION_MAX_AGE_SECONDS * 1000);
  return getDb()
    .select()
    .from(userSessions)
    .where(and(eq(userSessions.userId, params.userId), isNull(userSessions.revokedAt), gt(userSessions.lastSeenAt, oldest)))
    .orderBy(desc(userSessions.lastSeenAt), desc(userSessions.id));
}

/**
 * Revokes one of the user's own sessions by id (`session.revoke` in the security log, with the device). Another
 * user's session id, an unknown id or an already revoked session is `not-found`.
 */
export async function revokeUserSession(params: {
  userId: number;
  sessionId: number;
  request: RequestInfo;
  now?: Date;
}): Promise<{ ok: true } | { ok: false; reason: "not-found" }> {
  const now = params.now ?? new Date();
  return writeTransaction(async (tx) => {
    const row = await first(
      tx
        .update(userSessions)
        .set({ revokedAt: now })
        .where(and(eq(userSessions.id, params.sessionId), eq(userSessions.userId, params.userId), isNull(userSessions.revokedAt)))
        .returning(),
    );
    if (!row) return { ok: false as const, reason: "not-found" as const };
    await recordSecurityEvent(tx, {
      userId: params.userId,
      kind: "session.revoke",
      ...params.request,
      data: { sessionUserAgent: row.userAgent, sessionIp: row.ip },
      at: now,
    });
    return { ok: true as const };
  });
}

/**
 * Inside `tx`: bumps the user's session version (every token issued before stops working) and revokes EVERY session
 * row of the user. When `keepSessionKey` names one of their unrevoked sessions (the browser making the change), that
 * browser gets a new row with a fresh key (same device, IP and start time) so it can stay signed in: the caller
 * re-issues its token with `unstable_update({ sk })`. The old key is dead, so a copy of the old cookie cannot be
 * revived through Auth.js's update endpoint (which any client may call). Returns the new version, how many OTHER
 * sessions ended, and the kept browser's new key (null when none). Used by "sign out everywhere" and password change.
 */
export async function endSessionsInTx(
  tx: Tx,
  params: { userId: number; keepSessionKey?: string | null; now: Date },
): Promise<{ sessionVersion: number; revoked: number; keptSessionKey: string | null }> {
  const user = await first(
    tx
      .update(users)
      .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(eq(users.id, params.userId))
      .returning({ sessionVersion: users.sessionVersion }),
  );
  const kept = params.keepSessionKey
    ? await first(
        tx
          .select()
          .from(userSessions)
          .where(
            and(eq(userSessions.userId, params.userId), eq(userSessions.sessionKey, params.keepSessionKey), isNull(userSessions.revokedAt)),
          ),
      )
    : undefined;
  const ended = affectedRows(
    await tx
      .update(userSessions)
      .set({ revokedAt: params.now })
      .where(and(eq(userSessions.userId, params.userId), isNull(userSessions.revokedAt))),
  );
  let keptSessionKey: string | null = null;
  if (kept) {
    keptSessionKey = newSessionKey();
    await tx.insert(userSessions).values({
      userId: params.userId,
      sessionKey: keptSessionKey,
      userAgent: kept.userAgent,
      ip: kept.ip,
      createdAt: kept.createdAt,
      lastSeenAt: params.now,
    });
  }
  return { sessionVersion: user?.sessionVersion ?? 0, revoked: kept ? ended - 1 : ended, keptSessionKey };
}

/**
 * "Sign out everywhere" (docs/product.md §3.1): bumps the session version and revokes every other session of the user in one
 * transaction (`session.revoke-all`, with the count). The browser holding `keepSessionKey` stays signed in once its
 * token carries the returned `keptSessionKey` (`unstable_update({ sk })`, see the `jwt` callback in lib/auth/auth.ts).
 */
export async function signOutEverywhere(params: {
  userId: number;
  keepSessionKey: string | null;
  request: RequestInfo;
  now?: Date;
}): Promise<{
  sessionVersion: number;
  revoked: number;
  keptSessionKey: string | null;
}> {
  const now = params.now ?? new Date();
  return writeTransaction(async (tx) => {
    const result = await endSessionsInTx(tx, { userId: params.userId, keepSessionKey: params.keepSessionKey, now });
    await recordSecurityEvent(tx, {
      userId: params.userId,
      kind: "session.revoke-all",
      ...params.request,
      data: { revoked: result.revoked },
      at: now,
    });
    return result;
  });
}

/** Revokes the session with this key, if unrevoked (sign-out); records `signout`. No-op for an unknown key. */
export async function endUserSession(params: { sessionKey: string; request?: RequestInfo; now?: Date }): Promise<void> {
  const now = params.now ?? new Date();
  await writeTransaction(async (tx) => {
    const row = await first(
      tx
        .update(userSessions)
        .set({ revokedAt: now })
        .where(and(eq(userSessions.sessionKey, params.sessionKey), isNull(userSessions.revokedAt)))
        .returning({ userId: userSessions.userId }),
    );
    if (row) await recordSecurityEvent(tx, { userId: row.userId, kind: "signout", ...params.request, at: now });
  });
}

/**
 * The user's current session version, but only while the session `sessionKey` is unrevoked: what a kept browser's
 * token is re-issued with, together with its new key, after the version was bumped (password change, sign out
 * everywhere). Null otherwise.
 */
export async function currentVersionForSession(params: { userId: number; sessionKey: string }): Promise<number | null> {
  const row = await first(
    getDb()
      .select({ sessionVersion: users.sessionVersion })
      .from(userSessions)
      .innerJoin(users, eq(users.id, userSessions.userId))
      .where(and(eq(userSessions.sessionKey, params.sessionKey), eq(userSessions.userId, params.userId), isNull(userSessions.revokedAt))),
  );
  return row?.sessionVersion ?? null;
}
