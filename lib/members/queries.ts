import "server-only";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { invitations, memberships, users, type Role } from "@/db/schema";
import type { InvitationRow } from "@/db/types";

export type MemberRow = { membershipId: number; userId: number; name: string | null; email: string; role: Role; joinedAt: Date };
export type PendingInvitationRow = InvitationRow;

/** The account's members with their user's name and email, owners first, then by email. */
export async function listMembers(params: { accountId: number }): Promise<MemberRow[]> {
  return getDb()
    .select({
      membershipId: memberships.id,
      userId: users.id,
      name: users.name,
      email: users.email,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.accountId, params.accountId))
    .orderBy(sql`case ${memberships.role} when 'owner' then 0 when 'admin' then 1 when 'developer' then 2 else 3 end`, asc(users.email));
}

/** The account's pending invitations (expired ones included: they can be re-sent), newest first. */
export async function listPendingInvitations(params: { accountId: number }): Promise<PendingInvitationRow[]> {
  return getDb()
    .select()
    .from(invitations)
    .where(and(eq(invitations.accountId, params.accountId), eq(invitations.status, "pending")))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
}
