import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { memberships, ROLES, type Role } from "@/db/schema";
import { can, forbiddenMessage, type Permission } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import { TWO_FACTOR_REQUIRED_MESSAGE } from "@/lib/two-factor/requirement";
import { first } from "@/db";

// Shared pieces of the people logic (members, invitations, account settings): the result shape, the role rules of
// docs/product.md §2 and the in-transaction reads every check is made from. The acting user's role comes from
// `effectiveRole` (lib/auth/roles), the one membership-role lookup; the facts about OTHER members (a target's role,
// the owner count of the last-owner rule) are plain membership reads.

/** The signed-in user acting; `name` is what the audit log shows. */
export type Actor = { id: number; name: string };

/** Outcome of a people operation: `ok`, or a refusal with a message for the user (nothing was written). */
export type Refusal = { ok: false; code: "not_found" | "forbidden" | "last_owner" | "invalid"; message: string; field?: string };

/** What a non-member is told (the words of lib/actions NOT_FOUND_MESSAGE, so ids cannot be probed). */
export const NOT_FOUND: Refusal = {
  ok: false,
  code: "not_found",
  message: "Not found: it does not exist or you do not have access to it.",
};

/** A refusal for a member whose role lacks a permission ("Your role in this account (Viewer) cannot …"). */
export function forbidden(role: string, what: string, permission?: Permission): Refusal {
  return { ok: false, code: "forbidden", message: forbiddenMessage(role, what, permission) };
}

/** The message when a change would leave an account without an owner (docs/product.md §2). */
export const LAST_OWNER_MESSAGE = "An account always keeps at least one owner: make another member an owner first.";

/** Test seams: `afterCheck` runs inside the write transaction, after the checks and before the first write. */
export type Seams = { afterCheck?: () => void };

/**
 * Roles a member with `actorRole` may give, by invitation or role change (docs/product.md §2): owners any role, admins any
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

/**
 * The role the acting user may use in the account, from `effectiveRole`: inside a `writeTransaction` it reads on the
 * transaction's connection, so the answer holds for the writes that follow. Refusals: `not_found` for a non-member
 * (or no such account), `forbidden` with the two-factor message for a member the account blocks (docs/product.md §3.2).
 */
export async function actorRole(accountId: number, actorId: number): Promise<{ ok: true; role: Role } | Refusal> {
  const member = await effectiveRole(accountId, actorId);
  if (member.kind === "none") return NOT_FOUND;
  if (member.kind === "blocked") return { ok: false, code: "forbidden", message: TWO_FACTOR_REQUIRED_MESSAGE };
  return { ok: true, role: member.role };
}

/** Number of owners of the account, read inside `tx` (a membership fact for the last-owner rule, not a right). */
export async function ownerCount(tx: Reader, accountId: number): Promise<number> {
  const row = await first(
    tx
      .select({ n: sql<number>`count(*)` })
      .from(memberships)
      .where(and(eq(memberships.accountId, accountId), eq(memberships.role, "owner"))),
  );
  return row!.n;
}
