import { and, asc, eq, sql } from "drizzle-orm";
import { writeTransaction, type Tx, first } from "@/db";
import { accounts, memberships, users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";

// Deleting one's own user (docs/product.md §3.1): refused while the user is the last owner of any account (docs/product.md §2: an
// account always keeps an owner), checked in the same BEGIN IMMEDIATE transaction as the delete. Deleting the row
// cascades to memberships, sessions, tokens, email links, recovery codes and the security log; audit rows and
// invitations keep the name they were written with (`actor_name`, `invited_by_name`; their user ids become null).

export type DeleteUserResult =
  | { ok: true; leftAccounts: number }
  | { ok: false; code: "not_found" }
  | { ok: false; code: "confirmation"; message: string }
  /** The current password (field `currentPassword`) or the two-factor code (field `code`) was wrong or rate-limited. */
  | { ok: false; code: "reauth"; field: "currentPassword" | "code"; message: string }
  | { ok: false; code: "last_owner"; message: string; accounts: { id: number; name: string }[] };

/** "Acme" · "Acme and Beta" · "Acme, Beta and Gamma" (each in quotes). */
function listNames(names: string[]): string {
  const quoted = names.map((n) => `“${n}”`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/**
 * Deletes the user `userId` when `confirmation` is their email address (compared trimmed and case-insensitively).
 * Refusals: `confirmation` (typed text does not match), `last_owner` (naming every account where the user is the
 * only owner), `not_found`. Before the delete, each account the user belonged to gets an audit row `member.leave`
 * (`{ role, reason: "user deleted" }`) with the user's name as actor. When the user has two-factor authentication
 * on, `secondFactor` must accept the typed code inside the same transaction, after the last-owner check (a refusal
 * there does not use the code up); without it, or when it refuses, `reauth` (field `code`, `codeMessage`).
 * `seams.afterCheck` runs after the checks. The settings page goes through `deleteOwnUserAfterReauth`
 * (./delete-user-reauth), which checks the current password first.
 */
export async function deleteOwnUser(
  params: {
    userId: number;
    confirmation: string;
    secondFactor?: { accept: (tx: Tx, userId: number) => Promise<boolean>; codeMessage: string };
  },
  seams: { afterCheck?: () => void } = {},
): Promise<DeleteUserResult> {
  return writeTransaction(async (tx): Promise<DeleteUserResult> => {
    const user = await first(tx.select().from(users).where(eq(users.id, params.userId)));
    if (!user) return { ok: false, code: "not_found" };
    if (params.confirmation.trim().toLowerCase() !== user.email) {
      return { ok: false, code: "confirmation", message: `Type your email address, ${user.email}, to confirm.` };
    }
    const owners = sql<number>`(select count(*) from ${memberships} m2 where m2.account_id = ${memberships.accountId} and m2.role = 'owner')`;
    const rows = await tx
      .select({ accountId: accounts.id, name: accounts.name, role: memberships.role, owners })
      .from(memberships)
      .innerJoin(accounts, eq(accounts.id, memberships.accountId))
      .where(eq(memberships.userId, user.id))
      .orderBy(asc(accounts.name), asc(accounts.id));
    const soleOwned = rows.filter((r) => r.role === "owner" && r.owners <= 1).map((r) => ({ id: r.accountId, name: r.name }));
    if (soleOwned.length > 0) {
      const one = soleOwned.length === 1;
      return {
        ok: false,
        code: "last_owner",
        accounts: soleOwned,
        message: `You are the last owner of ${listNames(soleOwned.map((a) => a.name))}. Make another member an owner of ${one ? "that account" : "each"}, or delete ${one ? "it" : "them"}, before deleting your user.`,
      };
    }
    if (user.totpEnabledAt && !(await params.secondFactor?.accept(tx, user.id))) {
      return {
        ok: false,
        code: "reauth",
        field: "code",
        message: params.secondFactor?.codeMessage ?? "Enter the code from your authenticator app.",
      };
    }
    seams.afterCheck?.();
    const actor = { id: user.id, name: user.name?.trim() || user.email };
    for (const r of rows) {
      await recordAudit(tx, {
        accountId: r.accountId,
        actor,
        action: "member.leave",
        targetType: "user",
        targetId: user.id,
        targetLabel: user.email,
        data: { role: r.role, reason: "user deleted", summary: "Deleted their user" },
      });
    }
    await tx.delete(users).where(and(eq(users.id, user.id)));
    return { ok: true, leftAccounts: rows.length };
  });
}
