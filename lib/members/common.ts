import type { Permission } from "@/lib/auth/permissions";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { memberships, ROLES, type Role } from "@/db/schema";
import { can, forbiddenMessage } from "@/lib/auth/permissions";
import { blockedByTwoFactor } from "@/lib/two-factor/requirement";

// Shared pieces of the people logic (members, invitations, account settings): the result shape, the role rules of SPEC §2 and the in-transaction reads every check is made from.

/** The signed-in user acting; `name` is what the audit log shows. */
export type Actor = { id: number; name: string };

/** Outcome of a people operation: `ok`, or a refusal with a message for the user (nothing was written). */
export type Refusal = { ok: false; code: "not_found" | "forbidden" | "last_owner" | "invalid"; message: string; field?: string };

/** What a non-member is told (the same words as lib/auth/access, so ids cannot be probed). */
export const NOT_FOUND: Refusal = {
  ok: false,
  code: "not_found",
  message: "Not found: it does not exist or you do not have access to it.",
};

/** A refusal for a member whose role lacks a permission ("Your role in this account (Viewer) cannot …"). */
export function forbidden(role: string, what: string, permission?: Permission): Refusal {
  return { ok: false, code: "forbidden", message: forbiddenMessage(role, what, permission) };
}

/** The message when a change would leave an account without an owner (SPEC §2). */
export const LAST_OWNER_MESSAGE = "An account always keeps at least one owner: make another member an owner first.";

/** Test seams: `afterCheck` runs inside the write transaction, after the checks and before the first write. */
export type Seams = { afterCheck?: () => void };

/**
 * Roles a member with `actorRole` may give, by invitation or role change (SPEC §2): owners any role, admins any
 * but owner, developers and viewers none. Ordered owner → viewer.
 */
export function grantableRoles(actorRole: string | null | undefined): Role[] {
  if (!can(actorRole, "members.manage")) return [];
  return ROLES.filter((role) => role !== "owner" || can(actorRole, "owner.grant"));
}

/** True when `actorRole` may change or remove a member whose role is `targetRole` (admins never act on an owner). */
export function mayActOn(actorRole: string | null | undefined, targetRole: string): boolean {
  return can(actorRole, "members.manage") && (targetRole !== "owner" || can(actorRole, "owner.grant"));
}

/** Anything that reads: the client or a transaction. */
export type Reader = Pick<Db, "select">;

/** The user's role in the account read inside `tx` (or from the client), or null for a non-member. */
export async function roleIn(tx: Reader, accountId: number, userId: number): Promise<Role | null> {
  const row = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, userId)))
    .get();
  return row?.role ?? null;
}

/**
 * The role the acting user may use in the account, read inside `tx`: their role, or null for a non-member and for
 * a member the account refuses because it requires two-factor authentication and they have not turned it on
 * (SPEC §3.2, lib/two-factor/requirement). Use it for the actor's rights; `roleIn` for membership facts.
 */
export async function actorRoleIn(tx: Reader, accountId: number, userId: number): Promise<Role | null> {
  const role = await roleIn(tx, accountId, userId);
  return role && !(await blockedByTwoFactor(tx, accountId, userId)) ? role : null;
}

/** Number of owners of the account, read inside `tx`. */
export async function ownerCount(tx: Reader, accountId: number): Promise<number> {
  const row = await tx
    .select({ n: sql<number>`count(*)` })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.role, "owner")))
    .get();
  return row!.n;
}
