import { eq } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { users } from "@/db/schema";
import { recordAudit, type AuditEntry } from "@/lib/audit/record";
import { can, type Permission } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import type { GitIdentity } from "@/lib/git/create-repository";
import { updateBranch } from "@/lib/git/refs";
import { log } from "@/lib/log";

// What every change to an application's rows or repository shares, below lib/applications, lib/environments and
// lib/domains (which all import it, never each other for it): who acts, whether they still may (re-read inside the
// change's own transaction), the commit author, and the audit row of a branch that already moved.

/** The signed-in user making a change (lib/actions `actorOf`): `name` is what the audit log shows. */
export type Actor = { id: number; name: string };

/**
 * True when the actor's effective role in the account, read now (lib/auth/roles `effectiveRole`: inside a
 * `writeTransaction` it reads on that transaction, so the answer holds for its writes), grants `permission`. A member
 * the account blocks for lacking two-factor authentication may do nothing (docs/product.md §3.2).
 */
export async function actorMay(accountId: number, actor: Pick<Actor, "id">, permission: Permission): Promise<boolean> {
  const role = await effectiveRole(accountId, actor.id);
  return role.kind === "member" && can(role.role, permission);
}

/** The audit actor of an actor. */
export function auditActor(actor: Actor): { id: number; name: string } {
  return { id: actor.id, name: actor.name };
}

/**
 * The commit identity of an actor (docs/product.md §3.4: console commits are authored by the user): `name <email>`,
 * the email read from the user's row. Throws when the user no longer exists.
 */
export async function commitAuthor(actor: Actor): Promise<GitIdentity> {
  const row = await first(getDb().select({ email: users.email }).from(users).where(eq(users.id, actor.id)));
  if (!row) throw new Error(`commitAuthor: user ${actor.id} does not exist`);
  return { name: actor.name || row.email, email: row.email };
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
    log.error({ err }, `audit of ${entry.action} failed; branch ${move.branch} ${undone ? "moved back" : "could NOT be moved back"}`);
    throw err;
  }
}
