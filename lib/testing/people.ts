import { and, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { accounts, auditEvents, memberships, users, type Role } from "@/db/schema";

// Test set-up for people logic (members, invitations, account settings): rows written straight to the database.

/** Inserts a user (password hash irrelevant) and returns the row. */
export function makeUser(email: string, name: string | null = null) {
  return getDb().insert(users).values({ email, name, passwordHash: "x" }).returning().get();
}

/** Inserts an account with the given members; returns the account and each membership id by user id. */
export function makeAccount(name: string, members: { userId: number; role: Role }[]) {
  const db = getDb();
  const account = db.insert(accounts).values({ name }).returning().get();
  const membershipIds = new Map<number, number>();
  for (const m of members) {
    const row = db.insert(memberships).values({ accountId: account.id, userId: m.userId, role: m.role }).returning().get();
    membershipIds.set(m.userId, row.id);
  }
  return { account, membershipOf: (userId: number) => membershipIds.get(userId)! };
}

/** The user's role in the account, or null. */
export function roleOf(accountId: number, userId: number): Role | null {
  const row = getDb()
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, userId)))
    .get();
  return row?.role ?? null;
}

/** Number of owners of the account. */
export function owners(accountId: number): number {
  return getDb()
    .select({ n: sql<number>`count(*)` })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.role, "owner")))
    .get()!.n;
}

/** The account's audit rows as `[action, actorUserId, targetLabel]`, oldest first. */
export function auditOf(accountId: number) {
  return getDb()
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.accountId, accountId))
    .orderBy(auditEvents.id)
    .all()
    .map((a) => [a.action, a.actorUserId, a.targetLabel] as const);
}

/** An actor as the people functions take it. */
export const actorOf = (user: { id: number; email: string; name?: string | null }) => ({ id: user.id, name: user.name ?? user.email });
