import { and, eq } from "drizzle-orm";
import { writeTransaction, type Db } from "@/db";
import { memberships } from "@/db/schema";
import { recordAudit, type AuditEntry } from "@/lib/audit/record";
import { can, type Permission } from "@/lib/auth/permissions";
import { blockedByTwoFactor } from "@/lib/two-factor/requirement";
import { updateBranch } from "@/lib/git/refs";
import type { Actor } from "./commit";

// Small pieces shared by the environment operations.

type Reader = Pick<Db, "select">;

/**
 * True when the actor's role in the account, read now (inside the caller's transaction), grants `permission`, and
 * the account does not refuse them for lacking two-factor authentication.
 */
export async function actorMay(db: Reader, accountId: number, actor: Actor, permission: Permission): Promise<boolean> {
  const row = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, actor.id)))
    .get();
  // A member without two-factor authentication has no rights in an account that requires it (SPEC §3.2).
  return can(row?.role, permission) && !(await blockedByTwoFactor(db, accountId, actor.id));
}

/** True for SQLite's UNIQUE violation whose message names `what` (e.g. `domains.hostname`), also when wrapped. */
export function isUniqueViolation(err: unknown, what: string): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "SQLITE_CONSTRAINT_UNIQUE" && String(e.message).includes(what)) return true;
  }
  return false;
}

/**
 * Writes the audit row of a git change that already happened (a branch moved from `from` to `to`). If the row
 * cannot be written, the branch is moved back (compare-and-swap: only if nobody moved it since) and the error is
 * rethrown, so a change is never left without its audit row.
 */
export async function auditBranchMove(
  entry: AuditEntry,
  move: { repoPath: string; branch: string; from: string; to: string },
): Promise<void> {
  try {
    await writeTransaction((tx) => recordAudit(tx, entry));
  } catch (err) {
    const undone = await updateBranch(move.repoPath, move.branch, move.from, move.to, "undo: audit failed").catch(() => false);
    console.error(`audit of ${entry.action} failed; branch ${move.branch} ${undone ? "moved back" : "could NOT be moved back"}`, err);
    throw err;
  }
}

/** The audit actor of an actor. */
export function auditActor(actor: Actor): { id: number; name: string } {
  return { id: actor.id, name: actor.name || actor.email };
}
