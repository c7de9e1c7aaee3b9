"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { ROLES } from "@/db/schema";
import { emailField } from "@/lib/auth/email";
import { lookupAccount } from "@/lib/auth/access";
import { roleLabel } from "@/lib/auth/permissions";
import { displayName, requireUser } from "@/lib/auth/session";
import { createInvitation, resendInvitation, revokeInvitation, type Invited } from "@/lib/invitations/manage";
import { NOT_FOUND } from "@/lib/members/common";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";
import { idField } from "./ids";
import { failure, success, type FormState } from "./state";

// Invitations: invite by email with a role, re-send (a new link replaces the old) and revoke. Sending mail is
// rate-limited ("invite") per client IP and per inviter.

const id = idField;
const inviteSchema = z.object({
  accountId: id,
  email: emailField,
  role: z.enum(ROLES, { message: "Choose a role from the list." }),
});
const invitationSchema = z.object({ invitationId: id });

type User = Awaited<ReturnType<typeof requireUser>>;
const actorOf = (user: User) => ({ id: user.id, name: displayName(user) });

async function rateLimited(user: User): Promise<FormState | null> {
  const limit = await consumeRateLimit("invite", { ip: clientIp(await headers()), email: user.email });
  return limit.ok ? null : failure(limit.message);
}

function sentMessage(result: Invited): FormState {
  const email = result.invitation.email;
  if (!result.mailed) return failure(`The invitation for ${email} was saved, but the mail could not be sent. Try "Resend" in a moment.`);
  return success(
    result.replaced
      ? `A new invitation was sent to ${email} (as ${roleLabel(result.invitation.role)}); the earlier link no longer works.`
      : `Invitation sent to ${email} (as ${roleLabel(result.invitation.role)}).`,
  );
}

/** Invites an address with a role; an address with a pending invitation gets a new link instead. */
export async function inviteMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  const raw = { email: String(form.get("email") ?? ""), role: String(form.get("role") ?? "") };
  const input = inviteSchema.safeParse({ ...raw, accountId: form.get("accountId") });
  const user = await requireUser();
  if (!input.success) {
    const fieldErrors: FormState["fieldErrors"] = {};
    for (const issue of input.error.issues) {
      const key = issue.path[0];
      if ((key === "email" || key === "role") && !fieldErrors[key]) fieldErrors[key] = issue.message;
    }
    return Object.keys(fieldErrors).length ? { fieldErrors, values: raw, at: Date.now() } : failure(NOT_FOUND.message, { values: raw });
  }
  const access = await lookupAccount(user, input.data.accountId, "members.manage", "invite members");
  if (!access.ok) return failure(access.message, { values: raw });
  const limited = await rateLimited(user);
  if (limited) return { ...limited, values: raw };
  const result = await createInvitation({
    accountId: input.data.accountId,
    actor: actorOf(user),
    email: input.data.email,
    role: input.data.role,
  });
  if (!result.ok) {
    if (result.field === "email" || result.field === "role")
      return { fieldErrors: { [result.field]: result.message }, values: raw, at: Date.now() };
    return failure(result.message, { values: raw });
  }
  revalidatePath(`/account/${input.data.accountId}/members`);
  return { ...sentMessage(result), values: { role: raw.role } };
}

/** Sends a pending (or expired) invitation again with a new link; the old link then says "replaced". */
export async function resendInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = invitationSchema.safeParse(Object.fromEntries(form));
  const user = await requireUser();
  if (!input.success) return failure(NOT_FOUND.message);
  const limited = await rateLimited(user);
  if (limited) return limited;
  const result = await resendInvitation({ invitationId: input.data.invitationId, actor: actorOf(user) });
  if (!result.ok) return failure(result.message);
  revalidatePath(`/account/${result.invitation.accountId}/members`);
  return sentMessage(result);
}

/** Withdraws a pending invitation; its link then says "revoked". */
export async function revokeInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = invitationSchema.safeParse(Object.fromEntries(form));
  const user = await requireUser();
  if (!input.success) return failure(NOT_FOUND.message);
  const result = await revokeInvitation({ invitationId: input.data.invitationId, actor: actorOf(user) });
  if (!result.ok) return failure(result.message);
  revalidatePath(`/account/${result.accountId}/members`);
  return success("Invitation revoked.");
}
