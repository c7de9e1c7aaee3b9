import { and, eq, type SQL } from "drizzle-orm";
import { writeTransaction, type Tx, first } from "@/db";
import { memberships, users, type Role } from "@/db/schema";
import { can, roleLabel } from "@/lib/auth/permissions";
import { recordAudit } from "@/lib/audit/record";
import { actorRole, forbidden, LAST_OWNER_MESSAGE, mayActOn, NOT_FOUND, ownerCount, type Actor, type Refusal, type Seams } from "./common";

// Changing roles, removing members and leaving an account (docs/product.md §2, §3.2). Every check — the actor's role, the
// target's role, the owner count — is read inside the same BEGIN IMMEDIATE transaction as the write, so two owners
// demoting each other at the same moment still leave one owner: the second transaction starts after the first
// committed and sees its result.

export type MemberResult = { ok: true; accountId: number; changed: boolean } | Refusal;

/** A membership with its user's email, read inside `tx`. */
async function findMembership(tx: Tx, where: SQL | undefined) {
  return first(
    tx
      .select({
        id: memberships.id,
        accountId: memberships.accountId,
        userId: memberships.userId,
        role: memberships.role,
        email: users.email,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(where),
  );
}

const membershipById = (tx: Tx, membershipId: number) => findMembership(tx, eq(memberships.id, membershipId));

/**
 * Changes a member's role (audit `member.role`, data `{ from, to }`). The account is taken from the membership
 * row. Refusals: `not_found` (no such membership, or the actor is not a member of its account), `forbidden`
 * (the actor lacks "members.manage"; a non-owner acting on an owner or granting owner), `last_owner` (demoting the
 * only owner, also oneself). Setting the role a member already has changes nothing (`changed: false`).
 */
export async function changeMemberRole(
  params: { membershipId: number; role: Role; actor: Actor },
  seams: Seams = {},
): Promise<MemberResult> {
  return writeTransaction(async (tx): Promise<MemberResult> => {
    const target = await membershipById(tx, params.membershipId);
    if (!target) return NOT_FOUND;
    const actor = await actorRole(target.accountId, params.actor.id);
    if (!actor.ok) return actor;
    const role = actor.role;
    if (!can(role, "members.manage")) return forbidden(role, "change roles of members", "members.manage");
    if (!mayActOn(role, target.role)) return { ok: false, code: "forbidden", message: "Only an owner can change the role of an owner." };
    if (params.role === "owner" && !can(role, "owner.grant")) {
      return { ok: false, code: "forbidden", message: "Only an owner can make someone an owner." };
    }
    if (params.role === target.role) return { ok: true, accountId: target.accountId, changed: false };
    if (target.role === "owner" && (await ownerCount(tx, target.accountId)) <= 1) {
      return { ok: false, code: "last_owner", message: `${target.email} is the only owner. ${LAST_OWNER_MESSAGE}` };
    }
    seams.afterCheck?.();
    await tx.update(memberships).set({ role: params.role }).where(eq(memberships.id, target.id));
    await recordAudit(tx, {
      accountId: target.accountId,
      actor: params.actor,
      action: "member.role",
      targetType: "user",
      targetId: target.userId,
      targetLabel: target.email,
      data: { from: target.role, to: params.role, summary: `${roleLabel(target.role)} → ${roleLabel(params.role)}` },
    });
    return { ok: true, accountId: target.accountId, changed: true };
  });
}

/**
 * Removes a member from the account of the membership row (audit `member.remove`; removing oneself counts as
 * leaving, `member.leave`). Refusals: `not_found`, `forbidden` (lacking "members.manage" for someone else; a
 * non-owner removing an owner), `last_owner` (the only owner).
 */
export async function removeMember(params: { membershipId: number; actor: Actor }, seams: Seams = {}): Promise<MemberResult> {
  return writeTransaction(async (tx): Promise<MemberResult> => {
    const target = await membershipById(tx, params.membershipId);
    if (!target) return NOT_FOUND;
    const actor = await actorRole(target.accountId, params.actor.id);
    if (!actor.ok) return actor;
    const self = target.userId === params.actor.id;
    if (!self && !can(actor.role, "members.manage")) return forbidden(actor.role, "remove members", "members.manage");
    if (!self && !mayActOn(actor.role, target.role)) return { ok: false, code: "forbidden", message: "Only an owner can remove an owner." };
    return deleteMembership(tx, target, params.actor, self ? "member.leave" : "member.remove", seams);
  });
}

/** The actor leaves the account (audit `member.leave`). Refusals: `not_found` (not a member), `last_owner`. */
export async function leaveAccount(params: { accountId: number; actor: Actor }, seams: Seams = {}): Promise<MemberResult> {
  return writeTransaction(async (tx): Promise<MemberResult> => {
    const target = await findMembership(tx, and(eq(memberships.accountId, params.accountId), eq(memberships.userId, params.actor.id)));
    if (!target) return NOT_FOUND;
    return deleteMembership(tx, target, params.actor, "member.leave", seams);
  });
}

async function deleteMembership(
  tx: Tx,
  target: NonNullable<Awaited<ReturnType<typeof findMembership>>>,
  actor: Actor,
  action: "member.remove" | "member.leave",
  seams: Seams,
): Promise<MemberResult> {
  if (target.role === "owner" && (await ownerCount(tx, target.accountId)) <= 1) {
    const who = action === "member.leave" ? "You are the only owner, so you cannot leave." : `${target.email} is the only owner.`;
    return { ok: false, code: "last_owner", message: `${who} ${LAST_OWNER_MESSAGE}` };
  }
  seams.afterCheck?.();
  await tx.delete(memberships).where(eq(memberships.id, target.id));
  await recordAudit(tx, {
    accountId: target.accountId,
    actor,
    action,
    targetType: "user",
    targetId: target.userId,
    targetLabel: target.email,
    data: { role: target.role },
  });
  return { ok: true, accountId: target.accountId, changed: true };
}
