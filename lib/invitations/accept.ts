import { and, eq, isNull } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { accounts, invitations, memberships, users } from "@/db/schema";
import { normaliseEmail } from "@/lib/auth/email";
import { recordAudit } from "@/lib/audit/record";
import { hashToken } from "@/lib/tokens";
import { effectiveRole } from "@/lib/auth/roles";
import type { Actor } from "@/lib/members/common";
import { invitationState, isLinkTokenShape, type InvitationState } from "./state";
import type { InvitationRow } from "./manage";

// Opening and accepting an invitation link (docs/product.md §3.2): the link's token is hashed and looked up; accepting needs
// the signed-in user's email to be the invited address (both stored normalised), and proves that address.

/** An invitation link as the `/invite/<token>` page shows it: the row, its account's name and its state now. */
export type InvitationView = { invitation: InvitationRow; accountName: string; state: InvitationState };

/** The invitation a link token points at (by its SHA-256), or null for an unknown or malformed token. */
export async function findInvitation(token: string, now: Date = new Date()): Promise<InvitationView | null> {
  if (!isLinkTokenShape(token)) return null;
  const row = await first(
    getDb()
      .select({ invitation: invitations, accountName: accounts.name })
      .from(invitations)
      .innerJoin(accounts, eq(accounts.id, invitations.accountId))
      .where(eq(invitations.tokenHash, hashToken(token))),
  );
  return row ? { ...row, state: invitationState(row.invitation, now) } : null;
}

/** Why an invitation could not be accepted; each has its own page. */
export type AcceptRefusal = Exclude<InvitationState, "pending"> | "not_found" | "wrong_user" | "already_member";

export type AcceptResult = { ok: true; accountId: number } | { ok: false; reason: AcceptRefusal; accountId?: number };

/**
 * Accepts an invitation for the signed-in user, in one transaction: checks the link is pending and not expired, the
 * user's email equals the invited address (case-insensitive) and the user is not yet a member; then adds the
 * membership with the invited role, marks the invitation accepted (single use), sets `users.emailVerifiedAt` when it
 * was empty (opening the mailed link proves the address) and writes audit `invitation.accept`. Refusals name the
 * reason; nothing is written for them.
 */
export async function acceptInvitation(params: { token: string; actor: Actor; now?: Date }): Promise<AcceptResult> {
  if (!isLinkTokenShape(params.token)) return { ok: false, reason: "not_found" };
  const now = params.now ?? new Date();
  return writeTransaction(async (tx): Promise<AcceptResult> => {
    const invitation = await first(
      tx
        .select()
        .from(invitations)
        .where(eq(invitations.tokenHash, hashToken(params.token))),
    );
    const user = await first(tx.select().from(users).where(eq(users.id, params.actor.id)));
    if (!invitation || !user) return { ok: false, reason: "not_found" };
    const state = invitationState(invitation, now);
    if (state !== "pending") return { ok: false, reason: state, accountId: invitation.accountId };
    if (normaliseEmail(user.email) !== normaliseEmail(invitation.email)) return { ok: false, reason: "wrong_user" };
    if ((await effectiveRole(invitation.accountId, user.id)).kind !== "none") {
      return { ok: false, reason: "already_member", accountId: invitation.accountId };
    }

    await tx.insert(memberships).values({ accountId: invitation.accountId, userId: user.id, role: invitation.role });
    await tx
      .update(invitations)
      .set({ status: "accepted", acceptedAt: now, acceptedBy: user.id })
      .where(and(eq(invitations.id, invitation.id), eq(invitations.status, "pending")));
    await tx
      .update(users)
      .set({ emailVerifiedAt: now })
      .where(and(eq(users.id, user.id), isNull(users.emailVerifiedAt)));
    await recordAudit(tx, {
      accountId: invitation.accountId,
      actor: params.actor,
      action: "invitation.accept",
      targetType: "user",
      targetId: user.id,
      targetLabel: user.email,
      data: { role: invitation.role, invitationId: invitation.id, invitedBy: invitation.invitedByName },
    });
    return { ok: true, accountId: invitation.accountId };
  });
}
