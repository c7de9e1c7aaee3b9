import { and, eq } from "drizzle-orm";
import { writeTransaction, type Tx, first, one } from "@/db";
import { accounts, invitations, memberships, users, type Role } from "@/db/schema";
import { can, roleLabel } from "@/lib/auth/permissions";
import { normaliseEmail } from "@/lib/auth/email";
import { recordAudit } from "@/lib/audit/record";
import { settings } from "@/lib/config";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { invitationMail } from "@/lib/mail/templates";
import { actorRole, forbidden, grantableRoles, mayActOn, NOT_FOUND, type Actor, type Refusal } from "@/lib/members/common";
import { hashToken, newLinkToken } from "@/lib/tokens";
import type { InvitationRow } from "@/db/types";

// Inviting people to an account, re-sending and revoking invitations (docs/product.md §3.2). Each change is one BEGIN
// IMMEDIATE transaction with its checks and its audit row; the mail is sent after the commit. Only the SHA-256
// of a link token is stored; the token itself exists in the mail alone.

export type { InvitationRow };

/** A written invitation: its row, the token for the link (never stored), the account's name, whether it was mailed. */
export type Invited = {
  ok: true;
  invitation: InvitationRow;
  token: string;
  accountName: string;
  replaced: InvitationRow | null;
  mailed: boolean;
};

type Options = { now?: Date };

/**
 * Invites `email` to the account with `role` and mails the link `APP_URL/invite/<token>`, valid
 * `INVITE_TTL_HOURS`. When an invitation to that address is already pending it is replaced (as by Resend: the old
 * link stops working). Refusals: `not_found` (the actor is not a member), `forbidden` (lacks "members.manage"),
 * `invalid` with `field` `role` (a role the actor may not grant: admins never invite as owner) or `email` (already
 * a member; a pending owner invitation an admin may not replace). Audit `invitation.create` (or
 * `invitation.resend`). `mailed` is false when the SMTP server refused (logged; the invitation stays pending).
 */
export async function createInvitation(
  params: { accountId: number; actor: Actor; email: string; role: Role } & Options,
): Promise<Invited | Refusal> {
  const email = normaliseEmail(params.email);
  const token = newLinkToken();
  const now = params.now ?? new Date();
  const written = await writeTransaction(async (tx): Promise<Omit<Invited, "mailed" | "token"> | Refusal> => {
    const actor = await actorRole(params.accountId, params.actor.id);
    if (!actor.ok) return actor;
    const account = await first(tx.select().from(accounts).where(eq(accounts.id, params.accountId)));
    if (!account) return NOT_FOUND;
    if (!can(actor.role, "members.manage")) return forbidden(actor.role, "invite members", "members.manage");
    if (!grantableRoles(actor.role).includes(params.role)) {
      return {
        ok: false,
        code: "invalid",
        field: "role",
        message: `Your role (${roleLabel(actor.role)}) cannot invite someone as ${roleLabel(params.role)}.`,
      };
    }
    const member = await first(
      tx
        .select({ id: memberships.id })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.accountId, account.id), eq(users.email, email))),
    );
    if (member) return { ok: false, code: "invalid", field: "email", message: `${email} is already a member of this account.` };
    const pending = await first(
      tx
        .select()
        .from(invitations)
        .where(and(eq(invitations.accountId, account.id), eq(invitations.email, email), eq(invitations.status, "pending"))),
    );
    if (pending && !mayActOn(actor.role, pending.role)) {
      return {
        ok: false,
        code: "invalid",
        field: "email",
        message: `${email} has a pending invitation as Owner; only an owner can change it.`,
      };
    }
    const invitation = await insertInvitation(tx, {
      accountId: account.id,
      email,
      role: params.role,
      token,
      actor: params.actor,
      now,
      replacing: pending,
    });
    await recordAudit(tx, {
      accountId: account.id,
      actor: params.actor,
      action: pending ? "invitation.resend" : "invitation.create",
      targetType: "invitation",
      targetId: invitation.id,
      targetLabel: email,
      data: { role: params.role, ...(pending ? { replaced: pending.id, previousRole: pending.role } : {}) },
    });
    return { ok: true, invitation, accountName: account.name, replaced: pending ?? null };
  });
  if (!written.ok) return written;
  return { ...written, token, mailed: await mailInvitation(written.invitation, token, written.accountName) };
}

/**
 * Sends a pending invitation again with a new link: in one transaction the old row becomes `replaced` (pointing at
 * its successor), a new pending row with a new token and a fresh expiry is written, and audit `invitation.resend`;
 * then the mail. Works for expired invitations too. Refusals: `not_found` (no such invitation, or the actor is not a
 * member of its account), `forbidden` (lacks "members.manage"; a non-owner and an owner invitation), `invalid`
 * (accepted, revoked or replaced already).
 */
export async function resendInvitation(params: { invitationId: number; actor: Actor } & Options): Promise<Invited | Refusal> {
  const token = newLinkToken();
  const now = params.now ?? new Date();
  const written = await writeTransaction(async (tx): Promise<Omit<Invited, "mailed" | "token"> | Refusal> => {
    const found = await managedInvitation(tx, params.invitationId, params.actor, "re-send invitations");
    if (!found.ok) return found;
    const { old, account } = found;
    const invitation = await insertInvitation(tx, {
      accountId: account.id,
      email: old.email,
      role: old.role,
      token,
      actor: params.actor,
      now,
      replacing: old,
    });
    await recordAudit(tx, {
      accountId: account.id,
      actor: params.actor,
      action: "invitation.resend",
      targetType: "invitation",
      targetId: invitation.id,
      targetLabel: old.email,
      data: { role: old.role, replaced: old.id },
    });
    return { ok: true, invitation, accountName: account.name, replaced: old };
  });
  if (!written.ok) return written;
  return { ...written, token, mailed: await mailInvitation(written.invitation, token, written.accountName) };
}

/** Withdraws a pending invitation: its link stops working (audit `invitation.revoke`). Refusals as `resendInvitation`. */
export async function revokeInvitation(params: { invitationId: number; actor: Actor }): Promise<{ ok: true; accountId: number } | Refusal> {
  return writeTransaction(async (tx): Promise<{ ok: true; accountId: number } | Refusal> => {
    const found = await managedInvitation(tx, params.invitationId, params.actor, "revoke invitations");
    if (!found.ok) return found;
    await tx.update(invitations).set({ status: "revoked" }).where(eq(invitations.id, found.old.id));
    await recordAudit(tx, {
      accountId: found.account.id,
      actor: params.actor,
      action: "invitation.revoke",
      targetType: "invitation",
      targetId: found.old.id,
      targetLabel: found.old.email,
      data: { role: found.old.role },
    });
    return { ok: true, accountId: found.account.id };
  });
}

/** A pending invitation the actor may manage, read inside `tx`; the account comes from the invitation row. */
async function managedInvitation(tx: Tx, invitationId: number, actor: Actor, what: string) {
  const old = await first(tx.select().from(invitations).where(eq(invitations.id, invitationId)));
  if (!old) return NOT_FOUND;
  const acting = await actorRole(old.accountId, actor.id);
  if (!acting.ok) return acting;
  const account = await first(tx.select().from(accounts).where(eq(accounts.id, old.accountId)));
  if (!account) return NOT_FOUND;
  if (!can(acting.role, "members.manage")) return forbidden(acting.role, what, "members.manage");
  if (!mayActOn(acting.role, old.role))
    return { ok: false, code: "forbidden", message: "Only an owner can manage an invitation to join as Owner." } as const;
  if (old.status !== "pending") return { ok: false, code: "invalid", message: `This invitation was ${old.status} already.` } as const;
  return { ok: true, old, account } as const;
}

async function insertInvitation(
  tx: Tx,
  p: { accountId: number; email: string; role: Role; token: string; actor: Actor; now: Date; replacing: InvitationRow | null | undefined },
): Promise<InvitationRow> {
  // The partial unique index allows one pending row per address: retire the old row before inserting its successor.
  if (p.replacing) await tx.update(invitations).set({ status: "replaced" }).where(eq(invitations.id, p.replacing.id));
  const invitation = await one(
    tx
      .insert(invitations)
      .values({
        accountId: p.accountId,
        email: p.email,
        role: p.role,
        tokenHash: hashToken(p.token),
        invitedBy: p.actor.id,
        invitedByName: p.actor.name,
        expiresAt: new Date(p.now.getTime() + settings().inviteTtlHours * 3_600_000),
        createdAt: p.now,
      })
      .returning(),
  );
  if (p.replacing) await tx.update(invitations).set({ replacedBy: invitation.id }).where(eq(invitations.id, p.replacing.id));
  return invitation;
}

function mailInvitation(invitation: InvitationRow, token: string, accountName: string): Promise<boolean> {
  return sendMailQuietly(
    invitationMail({
      to: invitation.email,
      token,
      accountName,
      inviterName: invitation.invitedByName,
      role: roleLabel(invitation.role),
      ttlHours: settings().inviteTtlHours,
    }),
  );
}
