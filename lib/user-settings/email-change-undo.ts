import { and, eq, inArray, isNull, ne } from "drizzle-orm";
import { getDb, writeTransaction, type Db, first, isUniqueViolation } from "@/db";
import { emailTokens, users } from "@/db/schema";
import { endSessionsInTx } from "@/lib/auth/sessions";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { hashToken } from "@/lib/tokens";

// "This wasn't me" (docs/product.md §3.1): the notice mailed to the OLD address after an email change carries a link
// (`email_tokens` kind `revert-email-change`, whose `email` is the old address; SHA-256 hash only, 7 days, single
// use; issued by `confirmEmailChange`). Following it, and pressing the button on its page (a mail scanner that opens
// the link changes nothing), makes the old address the login's email again and signs the login out everywhere,
// including the browser that changed it: whoever took over the login is out, and the owner can reset the password
// through the restored address.

/**
 * What an undo link is worth: `valid` (with the login's current address and the one it restores), or why not —
 * `unknown` (never issued, dropped because another undo link of the login was used, or its user deleted), `used`,
 * `expired`, `taken` (another user has the old address by now).
 */
export type EmailChangeUndoCheck =
  | { status: "valid"; userId: number; current: string; restore: string }
  | { status: "unknown" | "used" | "expired" }
  | { status: "taken"; restore: string };

type Reader = Pick<Db, "select">;

async function check(db: Reader, token: string, now: Date): Promise<EmailChangeUndoCheck & { tokenId?: number }> {
  if (token.length === 0 || token.length > 200) return { status: "unknown" };
  const row = await first(
    db
      .select({
        id: emailTokens.id,
        restore: emailTokens.email,
        usedAt: emailTokens.usedAt,
        expiresAt: emailTokens.expiresAt,
        userId: users.id,
        current: users.email,
      })
      .from(emailTokens)
      .innerJoin(users, eq(users.id, emailTokens.userId))
      .where(and(eq(emailTokens.tokenHash, hashToken(token)), eq(emailTokens.kind, "revert-email-change"))),
  );
  if (!row) return { status: "unknown" };
  if (row.usedAt) return { status: "used" };
  if (row.expiresAt.getTime() <= now.getTime()) return { status: "expired" };
  const other = await first(
    db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.email, row.restore), ne(users.id, row.userId))),
  );
  if (other) return { status: "taken", restore: row.restore };
  return { status: "valid", userId: row.userId, current: row.current, restore: row.restore, tokenId: row.id };
}

/** Looks an undo link up without using it (its page shows both addresses and the button for `valid`). */
export async function checkEmailChangeUndoToken(token: string, now = new Date()): Promise<EmailChangeUndoCheck> {
  const result = await check(getDb(), token, now);
  delete result.tokenId;
  return result;
}

/**
 * Follows a "This wasn't me" link: in one BEGIN IMMEDIATE transaction re-checks the token, sets `users.email` back
 * to the old address (verified: the link proved that mailbox), uses the token, drops the login's other unused email
 * change and undo links (so a link sent to the address being removed cannot undo this), bumps the session version
 * and revokes EVERY session of the login (no browser is kept), and records `email.change-reverted`
 * `{ from, to, revoked }`. Returns the check.
 */
export async function undoEmailChange(params: { token: string; request?: RequestInfo; now?: Date }): Promise<EmailChangeUndoCheck> {
  const now = params.now ?? new Date();
  try {
    return await writeTransaction(async (tx): Promise<EmailChangeUndoCheck> => {
      const found = await check(tx, params.token, now);
      if (found.status !== "valid") return found;
      const { tokenId, ...result } = found;
      await tx.update(users).set({ email: found.restore, emailVerifiedAt: now }).where(eq(users.id, found.userId));
      await tx.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.id, tokenId!));
      await tx
        .delete(emailTokens)
        .where(
          and(
            eq(emailTokens.userId, found.userId),
            inArray(emailTokens.kind, ["change-email", "revert-email-change"]),
            isNull(emailTokens.usedAt),
          ),
        );
      const ended = await endSessionsInTx(tx, { userId: found.userId, keepSessionKey: null, now });
      await recordSecurityEvent(tx, {
        userId: found.userId,
        kind: "email.change-reverted",
        ...params.request,
        data: { from: found.current, to: found.restore, revoked: ended.revoked },
        at: now,
      });
      return result;
    });
  } catch (error) {
    // The unique index is the last word if another transaction took the address between check and update.
    if (isUniqueViolation(error, "users.email")) return checkEmailChangeUndoToken(params.token, now);
    throw error;
  }
}
