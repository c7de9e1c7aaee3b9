import { and, eq, sql } from "drizzle-orm";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, auditEvents, memberships, users, type Role } from "@/db/schema";

// Test set-up for people logic (members, invitations, account settings): rows written straight to the database.

/** Inserts a user (password hash irrelevant) and returns the row. */
export async function makeUser(email: string, name: string | null = null) {
  return writeTransaction((tx) => one(tx.insert(users).values({ email, name, passwordHash: "x" }).returning()));
}

/** Inserts an account with the given members; returns the account and each membership id by user id. */
export async function makeAccount(name: string, members: { userId: number; role: Role }[]) {
  return writeTransaction(async (tx) => {
    const account = await one(tx.insert(accounts).values({ name }).returning());
    const membershipIds = new Map<number, number>();
    for (const m of members) {
      const row = await one(tx.insert(memberships).values({ accountId: account.id, userId: m.userId, role: m.role }).returning());
      membershipIds.set(m.userId, row.id);
    }
    return { account, membershipOf: (userId: number) => membershipIds.get(userId)! };
  });
}

/** The user's role in the account, or null. */
export async function roleOf(accountId: number, userId: number): Promise<Role | null> {
  const row = await first(
    getDb()
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, userId))),
  );
  return row?.role ?? null;
}

/** Number of owners of the account. */
export async function owners(accountId: number): Promise<number> {
  const row = await first(
    getDb()
      .select({ n: sql<number>`count(*)` })
      .from(memberships)
      .where(and(eq(memberships.accountId, accountId), eq(memberships.role, "owner"))),
  );
  return row!.n;
}

/** The account's audit rows as `[action, actorUserId, targetLabel]`, oldest first. */
export async function auditOf(accountId: number) {
  const rows = await getDb().select().from(auditEvents).where(eq(auditEvents.accountId, accountId)).orderBy(auditEvents.id);
  return rows.map((a) => [a.action, a.actorUserId, a.targetLabel] as const);
}

/** An actor as the people functions take it. */
export const actorOf = (user: { id: number; email: string; name?: string | null }) => ({ id: user.id, name: user.name ?? user.email });
