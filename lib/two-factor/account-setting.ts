import { eq } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { accounts, users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { can } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import { forbidden, NOT_FOUND, type Refusal } from "@/lib/members/common";
import { blocksUser, TWO_FACTOR_REQUIRED_MESSAGE } from "./requirement";

// The account setting "Require two-factor authentication for members" (docs/product.md §3.2). The rule it turns on
// is lib/two-factor/requirement.ts `blocksUser`, applied by lib/auth/roles `effectiveRole`.

/** Outcome of `setRequireTwoFactor`. */
export type RequireTwoFactorResult = { ok: true; changed: boolean } | Refusal;

/**
 * Turns "Require two-factor authentication for members" on or off (owners only, `account.require-two-factor`) and
 * writes the audit row `account.require-two-factor` (`{ required }`) in the same transaction, which also reads the
 * actor's effective role. Turning it on is refused (`invalid`) while the acting owner has not turned on two-factor
 * authentication themselves (they would lock themselves out). Refusals: `not_found` (not a member), `forbidden`
 * (not an owner, or an owner the requirement already blocks).
 */
export async function setRequireTwoFactor(params: {
  accountId: number;
  actor: { id: number; name: string };
  required: boolean;
}): Promise<RequireTwoFactorResult> {
  return writeTransaction(async (tx): Promise<RequireTwoFactorResult> => {
    const member = await effectiveRole(params.accountId, params.actor.id);
    if (member.kind === "none") return NOT_FOUND;
    if (member.kind === "blocked") return { ok: false, code: "forbidden", message: TWO_FACTOR_REQUIRED_MESSAGE };
    if (!can(member.role, "account.require-two-factor")) {
      return forbidden(member.role, "change the two-factor requirement", "account.require-two-factor");
    }
    // The requirement applies to every member, so the owner turning it on must not be one it would block.
    if (params.required && (await wouldBlock(params.actor.id))) {
      return {
        ok: false,
        code: "invalid",
        message: "Turn on two-factor authentication for your own login first: otherwise this setting would lock you out.",
      };
    }
    if (member.account.requireTwoFactor === params.required) return { ok: true, changed: false };
    await tx.update(accounts).set({ requireTwoFactor: params.required }).where(eq(accounts.id, params.accountId));
    await recordAudit(tx, {
      accountId: params.accountId,
      actor: params.actor,
      action: "account.require-two-factor",
      targetType: "account",
      targetId: params.accountId,
      targetLabel: member.account.name,
      data: { required: params.required },
    });
    return { ok: true, changed: true };
  });
}

/** True when the requirement, once on, would block this user (they have not turned on two-factor authentication). */
async function wouldBlock(userId: number): Promise<boolean> {
  const user = await first(getDb().select({ totpEnabledAt: users.totpEnabledAt }).from(users).where(eq(users.id, userId)));
  return !user || blocksUser({ requireTwoFactor: true }, user);
}
