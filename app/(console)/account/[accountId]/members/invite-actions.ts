"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { ROLES } from "@/db/schema";
import { accountAction, type Refusal } from "@/lib/actions";
import { accountResource } from "@/lib/actions/resources";
import { emailField } from "@/lib/auth/email";
import { roleLabel } from "@/lib/auth/permissions";
import { createInvitation, resendInvitation, revokeInvitation, type Invited } from "@/lib/invitations/manage";
import { invitationResource } from "@/lib/invitations/resources";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";
import { failure, refused, success, type FormState } from "./state";

// Invitations: invite by email with a role, re-send (a new link replaces the old) and revoke. The wrapper
// (lib/actions) checks "members.manage" on the account of the form's account or invitation row; lib/invitations
// re-checks inside its transaction. Sending mail is rate-limited ("invite") per client IP and per inviter.

/** The "invite" rate limit for this inviter; a refusal as the form's state, or null. */
async function rateLimited(email: string): Promise<FormState | null> {
  const limit = await consumeRateLimit("invite", { ip: clientIp(await headers()), email });
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

const account = accountResource((input: { accountId: string }) => input.accountId);
const invitation = invitationResource((input: { invitationId: string }) => input.invitationId);

/** What the invite form keeps of what was typed. */
const typed = (refusal: Pick<Refusal, "raw">) => ({ email: refusal.raw.email ?? "", role: refusal.raw.role ?? "" });

/** Invites an address with a role; an address with a pending invitation gets a new link instead. */
export const inviteMemberAction = accountAction({
  name: "invite member",
  schema: z.object({ accountId: z.string(), email: emailField, role: z.enum(ROLES, { message: "Choose a role from the list." }) }),
  resource: account,
  permission: "members.manage",
  what: "invite members",
  fail: (refusal): FormState => refused(refusal, ["email", "role"], typed(refusal)),
  run: async ({ input, resource, actor, user, raw }): Promise<FormState> => {
    const values = typed({ raw });
    const limited = await rateLimited(user.email);
    if (limited) return { ...limited, values };
    const result = await createInvitation({ accountId: resource.accountId, actor, email: input.email, role: input.role });
    if (!result.ok) {
      if (result.field === "email" || result.field === "role")
        return { fieldErrors: { [result.field]: result.message }, values, at: Date.now() };
      return failure(result.message, { values });
    }
    revalidatePath(`/account/${resource.accountId}/members`);
    return { ...sentMessage(result), values: { role: values.role } };
  },
});

/** Sends a pending (or expired) invitation again with a new link; the old link then says "replaced". */
export const resendInvitationAction = accountAction({
  name: "resend invitation",
  schema: z.object({ invitationId: z.string() }),
  resource: invitation,
  permission: "members.manage",
  what: "re-send invitations",
  fail: (refusal): FormState => refused(refusal),
  run: async ({ resource, actor, user }): Promise<FormState> => {
    const limited = await rateLimited(user.email);
    if (limited) return limited;
    const result = await resendInvitation({ invitationId: resource.invitationId, actor });
    if (!result.ok) return failure(result.message);
    revalidatePath(`/account/${result.invitation.accountId}/members`);
    return sentMessage(result);
  },
});

/** Withdraws a pending invitation; its link then says "revoked". */
export const revokeInvitationAction = accountAction({
  name: "revoke invitation",
  schema: z.object({ invitationId: z.string() }),
  resource: invitation,
  permission: "members.manage",
  what: "revoke invitations",
  fail: (refusal): FormState => refused(refusal),
  run: async ({ resource, actor }): Promise<FormState> => {
    const result = await revokeInvitation({ invitationId: resource.invitationId, actor });
    if (!result.ok) return failure(result.message);
    revalidatePath(`/account/${result.accountId}/members`);
    return success("Invitation revoked.");
  },
});
