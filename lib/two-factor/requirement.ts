import { and, asc, eq, isNull } from "drizzle-orm";
import { getDb, type Db } from "@/db";
import { memberships, users } from "@/db/schema";

// "Require two-factor authentication for members" (docs/product.md §3.2): the rule every role decision applies
// (`blocksUser`, through lib/auth/roles `effectiveRole`) and its words. Turning the setting on or off is
// lib/two-factor/account-setting.ts.

/** What a member without two-factor authentication is told when an account requires it. */
export const TWO_FACTOR_REQUIRED_MESSAGE =
  "This account requires two-factor authentication. Turn it on for your login in Settings → Two-factor authentication, then come back.";

/** Where a member turns it on. */
export const TWO_FACTOR_SETTINGS_PATH = "/settings/two-factor";

type Reader = Pick<Db, "select">;

/** The rule (docs/product.md §3.2): true when the account requires two-factor authentication and the user has not turned it on. */
export function blocksUser(account: { requireTwoFactor: boolean }, user: { totpEnabledAt: Date | null }): boolean {
  return account.requireTwoFactor && !user.totpEnabledAt;
}

/** Emails of the account's members who have not turned on two-factor authentication, by email (for the owner's warning). */
export async function membersWithoutTwoFactor(db: Reader, accountId: number): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, accountId), isNull(users.totpEnabledAt)))
    .orderBy(asc(users.email));
  return rows.map((row) => row.email);
}

/** `membersWithoutTwoFactor` read now, outside a transaction (the account settings page). */
export async function listMembersWithoutTwoFactor(accountId: number): Promise<string[]> {
  return membersWithoutTwoFactor(getDb(), accountId);
}
