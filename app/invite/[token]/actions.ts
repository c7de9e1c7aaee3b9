"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { signOut } from "@/lib/auth/auth";
import { displayName, requireUser } from "@/lib/auth/session";
import { acceptInvitation } from "@/lib/invitations/accept";
import { isLinkTokenShape } from "@/lib/invitations/state";
import { setLastAccount } from "@/db/queries/users";

export type AcceptState = { message?: string; at?: number };

/**
 * Accepts the invitation of the link for the signed-in user (lib/invitations checks the address, state and expiry in
 * one transaction), then opens the account. A refusal re-renders the invitation page, which names the reason.
 */
export async function acceptInvitationAction(_prev: AcceptState, form: FormData): Promise<AcceptState> {
  const token = form.get("token");
  if (!isLinkTokenShape(token)) return { message: "This invitation link is not valid.", at: Date.now() };
  const user = await requireUser(`/invite/${token}`);
  const result = await acceptInvitation({ token, actor: { id: user.id, name: displayName(user) } });
  if (!result.ok) {
    revalidatePath(`/invite/${token}`);
    redirect(`/invite/${token}`);
  }
  await setLastAccount({ userId: user.id, accountId: result.accountId });
  revalidatePath("/", "layout");
  redirect(`/account/${result.accountId}`);
}

/** "Log out and continue": signs out whoever is signed in and comes back to the invitation link. */
export async function logoutToInvitationAction(form: FormData): Promise<void> {
  const token = form.get("token");
  await signOut({ redirectTo: isLinkTokenShape(token) ? `/invite/${token}` : "/login" });
}
