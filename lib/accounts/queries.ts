import { recordAudit } from "@/lib/audit/record";
import "server-only";
import { asc, eq } from "drizzle-orm";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, memberships, type Role } from "@/db/schema";
import type { AccountRow } from "@/db/types";

export type { AccountRow };
export type AccountWithRole = AccountRow & { role: Role };

/** Every account the user belongs to, with their role, by name. */
export async function listAccountsOfUser(params: { userId: number }): Promise<AccountWithRole[]> {
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
    .orderBy(asc(accounts.name), asc(accounts.id));
}

/** The account with this id, or undefined. */
export async function getAccount(params: { id: number }): Promise<AccountRow | undefined> {
  return first(getDb().select().from(accounts).where(eq(accounts.id, params.id)));
}

/** Creates an account with the user as its owner and an audit row, in one transaction. */
export async function createAccount(params: { name: string; owner: { id: number; name: string } }): Promise<AccountRow> {
  return writeTransaction(async (tx) => {
    const account = await one(tx.insert(accounts).values({ name: params.name }).returning());
    await tx.insert(memberships).values({ userId: params.owner.id, accountId: account.id, role: "owner" });
    await recordAudit(tx, {
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
