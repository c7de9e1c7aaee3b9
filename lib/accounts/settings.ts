import { and, eq } from "drizzle-orm";
import { writeTransaction, first } from "@/db";
import { accounts, memberships, users } from "@/db/schema";
import { can } from "@/lib/auth/permissions";
import { recordAudit } from "@/lib/audit/record";
import { actorRole, forbidden, NOT_FOUND, type Actor, type Refusal } from "@/lib/members/common";

// Account settings (docs/product.md §3.2): rename and transfer of ownership, each one transaction with its checks and audit row.

export type SettingsResult = { ok: true; accountId: number } | Refusal;

/**
 * Renames the account (owners and admins, "account.rename"; audit `account.rename` with `{ from, to }`). `name` must
 * already be trimmed and checked (lib/accounts/fields). Refusals: `not_found` (not a member), `forbidden`.
 */
export async function renameAccount(params: { accountId: number; actor: Actor; name: string }): Promise<SettingsResult> {
  return writeTransaction(async (tx): Promise<SettingsResult> => {
    const actor = await actorRole(params.accountId, params.actor.id);
    if (!actor.ok) return actor;
    const account = await first(tx.select().from(accounts).where(eq(accounts.id, params.accountId)));
    if (!account) return NOT_FOUND;
    if (!can(actor.role, "account.rename")) return forbidden(actor.role, "rename the account", "account.rename");
    if (account.name === params.name) return { ok: true, accountId: account.id };
    await tx.update(accounts).set({ name: params.name }).where(eq(accounts.id, account.id));
    await recordAudit(tx, {
      accountId: account.id,
      actor: params.actor,
      action: "account.rename",
      targetType: "account",
      targetId: account.id,
      targetLabel: params.name,
      data: { from: account.name, to: params.name },
    });
    return { ok: true, accountId: account.id };
  });
}

/**
 * Transfers ownership (docs/product.md §2): in one transaction the member `toUserId` becomes owner and the acting owner becomes
 * admin (audit `account.transfer`). Refusals: `not_found` (the actor is not a member), `forbidden` (not an owner),
 * `invalid` with field `userId` (the target is not a member, is the actor, or already an owner).
 */
export async function transferOwnership(params: { accountId: number; actor: Actor; toUserId: number }): Promise<SettingsResult> {
  return writeTransaction(async (tx): Promise<SettingsResult> => {
    const actor = await actorRole(params.accountId, params.actor.id);
    if (!actor.ok) return actor;
    if (!can(actor.role, "owner.grant")) return forbidden(actor.role, "transfer ownership", "owner.grant");
    const target = await first(
      tx
        .select({ role: memberships.role, email: users.email })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.accountId, params.accountId), eq(memberships.userId, params.toUserId))),
    );
    const invalid = (message: string): Refusal => ({ ok: false, code: "invalid", field: "userId", message });
    if (!target) return invalid("Choose a member of this account.");
    if (params.toUserId === params.actor.id) return invalid("You are already an owner: choose another member.");
    if (target.role === "owner")
      return invalid(`${target.email} is already an owner. To step down, change your own role on the Members page.`);

    const set = (userId: number, to: "owner" | "admin") =>
      tx
        .update(memberships)
        .set({ role: to })
        .where(and(eq(memberships.accountId, params.accountId), eq(memberships.userId, userId)));
    await set(params.toUserId, "owner");
    await set(params.actor.id, "admin");
    await recordAudit(tx, {
      accountId: params.accountId,
      actor: params.actor,
      action: "account.transfer",
      targetType: "user",
      targetId: params.toUserId,
      targetLabel: target.email,
      data: { previousRole: target.role, giverBecomes: "admin" },
    });
    return { ok: true, accountId: params.accountId };
  });
}
