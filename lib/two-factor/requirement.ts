import { and, asc, eq, isNull } from "drizzle-orm";
import { getDb, writeTransaction, type Db } from "@/db";
import { accounts, memberships, users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { can, forbiddenMessage } from "@/lib/auth/permissions";

// "Require two-factor authentication for members" (SPEC §3.2): the account setting and the check every membership
// lookup makes.

/** What a member without two-factor authentication is told when an account requires it. */
export const TWO_FACTOR_REQUIRED_MESSAGE =
  "This account requires two-factor authentication. Turn it on for your login in Settings → Two-factor authentication, then come back.";

/** Where a member turns it on. */
export const TWO_FACTOR_SETTINGS_PATH = "/settings/two-factor";

type Reader = Pick<Db, "select">;

/** The rule (SPEC §3.2): true when the account requires two-factor authentication and the user has not turned it on. */
export function blocksUser(account: { requireTwoFactor: boolean }, user: { totpEnabledAt: Date | null }): boolean {
  return account.requireTwoFactor && !user.totpEnabledAt;
}

/**
 * `blocksUser` for ids: the account's setting and the user's 2FA state read from the database on each call (inside
 * the caller's transaction when given one). False for an unknown account.
 */
export async function blockedByTwoFactor(db: Reader, accountId: number, userId: number): Promise<boolean> {
  const row = await db
    .select({ requireTwoFactor: accounts.requireTwoFactor, totpEnabledAt: users.totpEnabledAt })
    .from(accounts)
    .innerJoin(users, eq(users.id, userId))
    .where(eq(accounts.id, accountId))
    .get();
  return row ? blocksUser(row, row) : false;
}

/** Emails of the account's members who have not turned on two-factor authentication, by email (for the owner's warning). */
export async function membersWithoutTwoFactor(db: Reader, accountId: number): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, accountId), isNull(users.totpEnabledAt)))
    .orderBy(asc(users.email))
    .all();
  return rows.map((row) => row.email);
}

/** `membersWithoutTwoFactor` read now, outside a transaction (the account settings page). */
export async function listMembersWithoutTwoFactor(accountId: number): Promise<string[]> {
  return membersWithoutTwoFactor(getDb(), accountId);
}

/** Outcome of `setRequireTwoFactor`. */
export type RequireTwoFactorResult =
  { ok: true; changed: boolean } | { ok: false; code: "not_found" | "forbidden" | "invalid"; message: string };

/**
 * Turns "Require two-factor authentication for members" on or off (owners only, `account.require-two-factor`) and
 * writes the audit row `account.require-two-factor` (`{ required }`) in the same transaction. Turning it on is refused
 * (`invalid`) while the acting owner has not turned on two-factor authentication themselves (they would lock
 * themselves out). Refusals: `not_found` (not a member), `forbidden` (not an owner).
 */
export async function setRequireTwoFactor(params: {
  accountId: number;
  actor: { id: number; name: string };
  required: boolean;
}): Promise<RequireTwoFactorResult> {
  return writeTransaction(async (tx): Promise<RequireTwoFactorResult> => {
    const row = await tx
      .select({
        role: memberships.role,
        requireTwoFactor: accounts.requireTwoFactor,
        name: accounts.name,
        totpEnabledAt: users.totpEnabledAt,
      })
      .from(memberships)
      .innerJoin(accounts, eq(accounts.id, memberships.accountId))
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.accountId, params.accountId), eq(memberships.userId, params.actor.id)))
      .get();
    if (!row) return { ok: false, code: "not_found", message: "Not found: it does not exist or you do not have access to it." };
    if (blocksUser(row, row)) return { ok: false, code: "forbidden", message: TWO_FACTOR_REQUIRED_MESSAGE };
    if (!can(row.role, "account.require-two-factor")) {
      return {
        ok: false,
        code: "forbidden",
        message: forbiddenMessage(row.role, "change the two-factor requirement", "account.require-two-factor"),
      };
    }
    if (params.required && !row.totpEnabledAt) {
      return {
        ok: false,
        code: "invalid",
        message: "Turn on two-factor authentication for your own login first: otherwise this setting would lock you out.",
      };
    }
    if (row.requireTwoFactor === params.required) return { ok: true, changed: false };
    await tx.update(accounts).set({ requireTwoFactor: params.required }).where(eq(accounts.id, params.accountId)).run();
    await recordAudit(tx, {
      accountId: params.accountId,
      actor: params.actor,
      action: "account.require-two-factor",
      targetType: "account",
      targetId: params.accountId,
      targetLabel: row.name,
      data: { required: params.required },
    });
    return { ok: true, changed: true };
  });
}
