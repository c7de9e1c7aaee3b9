"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { actorOf, publicAction } from "@/lib/actions";
import { signOut } from "@/lib/auth/auth";
import { requireUser } from "@/lib/auth/session";
import { acceptInvitation } from "@/lib/invitations/accept";
import { isLinkTokenShape } from "@/lib/invitations/state";
import { setLastAccount } from "@/lib/users/queries";

export type AcceptState = { message?: string; at?: number };

const INVALID_LINK = "This invitation link is not valid.";

/**
 * Accepts the invitation of the link for the signed-in user (lib/invitations checks the address, state and expiry in
 * one transaction), then opens the account. The link's token is what authorizes it, so this is a public action that
 * asks for a session itself, coming back to the link after logging in. A refusal re-renders the invitation page,
 * which names the reason.
 */
export const acceptInvitationAction = publicAction({
  name: "accept invitation",
  schema: z.object({ token: z.string().refine(isLinkTokenShape) }),
  fail: (refusal): AcceptState => ({ message: refusal.kind === "invalid" ? INVALID_LINK : refusal.message, at: Date.now() }),
  run: async ({ input: { token } }): Promise<AcceptState> => {
    const user = await requireUser(`/invite/${token}`);
    const result = await acceptInvitation({ token, actor: actorOf(user) });
    if (!result.ok) {
      revalidatePath(`/invite/${token}`);
      redirect(`/invite/${token}`);
    }
    await setLastAccount({ userId: user.id, accountId: result.accountId });
    revalidatePath("/", "layout");
    redirect(`/account/${result.accountId}`);
  },
});

/** "Log out and continue": signs out whoever is signed in and comes back to the invitation link. */
export const logoutToInvitationAction = publicAction({
  name: "log out to invitation",
  schema: z.object({ token: z.string().optional() }),
  fail: () => undefined,
  run: async ({ input: { token } }): Promise<undefined> => {
    await signOut({ redirectTo: isLinkTokenShape(token) ? `/invite/${token}` : "/login" });
    return undefined;
  },
});
