import { recordAudit } from "@/lib/audit/record";
import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { getDb, writeTransaction } from "@/db";
import { accounts, memberships, type Role } from "@/db/schema";

export type AccountRow = typeof accounts.$inferSelect;
export type AccountWithRole = AccountRow & { role: Role };

/** The user's role in the account, or null when they are not a member. */
export function getMembership(params: { userId: number; accountId: number }): { role: Role } | null {
  const row = getDb()
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.userId, params.userId), eq(memberships.accountId, params.accountId)))
    .get();
  return row ?? null;
}

/** Every account the user belongs to, with their role, by name. */
export function listAccountsOfUser(params: { userId: number }): AccountWithRole[] {
  return getDb()
    .select({
      id: accounts.id,
      name: accounts.name,
      requireTwoFactor: accounts.requireTwoFactor,
      createdAt: accounts.createdAt,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .where(eq(memberships.userId, params.userId))
    .orderBy(asc(accounts.name), asc(accounts.id))
    .all();
}

/** The account with this id, or undefined. */
export function getAccount(params: { id: number }): AccountRow | undefined {
  return getDb().select().from(accounts).where(eq(accounts.id, params.id)).get();
}

/** Creates an account with the user as its owner and an audit row, in one transaction. */
export function createAccount(params: { name: string; owner: { id: number; name: string } }): AccountRow {
  return writeTransaction((tx) => {
    const account = tx.insert(accounts).values({ name: params.name }).returning().get();
    tx.insert(memberships).values({ userId: params.owner.id, accountId: account.id, role: "owner" }).run();
    recordAudit(tx, {
      accountId: account.id,
      actor: params.owner,
      action: "account.create",
      targetType: "account",
      targetId: account.id,
      targetLabel: account.name,
    });
    return account;
  });
}
