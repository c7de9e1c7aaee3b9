import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import { getDb, writeTransaction, type Db, first, affectedRows, one } from "@/db";
import { emailTokens, userSessions, users, type EmailTokenKind } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { hashToken, newLinkToken } from "@/lib/tokens";
import type { UserRow } from "@/db/types";
import type { EmailTokenRow } from "@/db/types";

export type { EmailTokenRow };

/**
 * What a link token is worth now: `valid` (with its row and user), or why not — `unknown` (never issued, mistyped,
 * replaced by a newer link, or its user deleted), `used`, `expired`, or `email-changed` (the user's email is no
 * longer the address the link was sent to).
 */
export type EmailTokenCheck =
  | { status: "valid"; token: EmailTokenRow; user: UserRow }
  | { status: "unknown" }
  | { status: "used" | "expired" | "email-changed"; token: EmailTokenRow; user: UserRow };

type Reader = Pick<Db, "select">;

/**
 * Issues a single-use link token of `kind` for `email` and stores only its SHA-256; returns the token to put in
 * the link. With `replaceUnused`, the user's earlier unused tokens of that kind are deleted in the same
 * transaction (their links then count as unknown).
 */
export async function createEmailToken(params: {
  userId: number;
  kind: EmailTokenKind;
  email: string;
  expiresAt: Date;
  replaceUnused?: boolean;
}): Promise<string> {
  const token = newLinkToken();
  await writeTransaction(async (tx) => {
    if (params.replaceUnused) {
      await tx
        .delete(emailTokens)
        .where(and(eq(emailTokens.userId, params.userId), eq(emailTokens.kind, params.kind), isNull(emailTokens.usedAt)));
    }
    await tx
      .insert(emailTokens)
      .values({ userId: params.userId, kind: params.kind, email: params.email, tokenHash: hashToken(token), expiresAt: params.expiresAt });
  });
  return token;
}

async function check(db: Reader, token: string, kind: EmailTokenKind, now: Date): Promise<EmailTokenCheck> {
  if (token.length === 0 || token.length > 200) return { status: "unknown" };
  const row = await first(
    db
      .select({ token: emailTokens, user: users })
      .from(emailTokens)
      .innerJoin(users, eq(users.id, emailTokens.userId))
      .where(and(eq(emailTokens.tokenHash, hashToken(token)), eq(emailTokens.kind, kind))),
  );
  if (!row) return { status: "unknown" };
  if (row.token.usedAt) return { status: "used", ...row };
  if (row.token.expiresAt.getTime() <= now.getTime()) return { status: "expired", ...row };
  if (row.token.email !== row.user.email) return { status: "email-changed", ...row };
  return { status: "valid", ...row };
}

/** Looks a link token up by its hash without using it. */
export async function checkEmailToken(params: { token: string; kind: EmailTokenKind; now?: Date }): Promise<EmailTokenCheck> {
  return check(getDb(), params.token, params.kind, params.now ?? new Date());
}

/**
 * Uses a `verify-email` token: in one transaction marks it used and sets the user's `emailVerifiedAt` (kept when
 * already set). Returns the check made inside the transaction; only `valid` changed anything.
 */
export async function redeemVerifyEmailToken(params: { token: string; now?: Date }): Promise<EmailTokenCheck> {
  const now = params.now ?? new Date();
  return writeTransaction(async (tx): Promise<EmailTokenCheck> => {
    const found = await check(tx, params.token, "verify-email", now);
    if (found.status !== "valid") return found;
    await tx.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.id, found.token.id));
    const user = await one(
      tx
        .update(users)
        .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.getTime()})` })
        .where(eq(users.id, found.user.id))
        .returning(),
    );
    return { ...found, user };
  });
}

/**
 * Uses a `reset-password` token: in one transaction marks it used, deletes the user's other unused reset tokens,
 * stores `passwordHash`, bumps `sessionVersion` and revokes every session row (every existing session ends), marks
 * the address verified (the link proved the mailbox) and records `password.reset` in the security log. Returns the
 * check made inside the transaction; only `valid` changed anything.
 */
export function redeemResetPasswordToken(params: {
  token: string;
  passwordHash: string;
  now?: Date;
  request?: RequestInfo;
}): Promise<EmailTokenCheck> {
  const now = params.now ?? new Date();
  return writeTransaction(async (tx): Promise<EmailTokenCheck> => {
    const found = await check(tx, params.token, "reset-password", now);
    if (found.status !== "valid") return found;
    await tx.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.id, found.token.id));
    await tx
      .delete(emailTokens)
      .where(and(eq(emailTokens.userId, found.user.id), eq(emailTokens.kind, "reset-password"), isNull(emailTokens.usedAt)));
    const user = await one(
      tx
        .update(users)
        .set({
          passwordHash: params.passwordHash,
          sessionVersion: sql`${users.sessionVersion} + 1`,
          emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.getTime()})`,
        })
        .where(eq(users.id, found.user.id))
        .returning(),
    );
    const revoked = affectedRows(
      await tx
        .update(userSessions)
        .set({ revokedAt: now })
        .where(and(eq(userSessions.userId, found.user.id), isNull(userSessions.revokedAt))),
    );
    await recordSecurityEvent(tx, { userId: found.user.id, kind: "password.reset", ...params.request, data: { revoked }, at: now });
    return { ...found, user };
  });
}
