import { and, eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { accounts, memberships, users, type Role } from "@/db/schema";
import { blocksUser } from "@/lib/two-factor/requirement";
import type { AccountRow } from "@/db/types";

/** The account row as every role decision reads it. */
export type RoleAccount = AccountRow;

/**
 * A user's effective role in an account (docs/product.md §2, §3.2): their membership's role, unless the account
 * requires two-factor authentication and they have not turned it on — then they are `blocked` and may do nothing in
 * it. `none` means not a member (or no such account): callers answer 404 so ids cannot be probed.
 */
export type EffectiveRole =
  { kind: "member"; role: Role; account: RoleAccount } | { kind: "blocked"; role: Role; account: RoleAccount } | { kind: "none" };

/**
 * Reads the effective role of `userId` in `accountId` with one query, on the connection of the moment (inside a
 * `writeTransaction` it is the transaction's, so the answer holds for the writes that follow it). Every role
 * decision of the console starts here and then asks the permission table (lib/auth/permissions `can`).
 */
export async function effectiveRole(accountId: number, userId: number): Promise<EffectiveRole> {
  const row = await first(
    getDb()
      .select({ account: accounts, role: memberships.role, totpEnabledAt: users.totpEnabledAt })
      .from(memberships)
      .innerJoin(accounts, eq(accounts.id, memberships.accountId))
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, userId))),
  );
  if (!row) return { kind: "none" };
  if (blocksUser(row.account, row)) return { kind: "blocked", role: row.role, account: row.account };
  return { kind: "member", role: row.role, account: row.account };
}
