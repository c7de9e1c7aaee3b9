"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { z } from "zod";
import { publicAction, type Refusal } from "@/lib/actions";
import { reissueSession, signOut } from "@/lib/auth/auth";
import { getCurrentSessionKey, getCurrentUser } from "@/lib/auth/session";
import { isLinkTokenShape } from "@/lib/invitations/state";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { requestInfo } from "@/lib/security-log/request-info";
import { checkEmailChangeToken, confirmEmailChange, type EmailChangeCheck } from "@/lib/user-settings/email-change";

/** The outcome of pressing "Confirm" on an email change link (null before the first submit). */
export type ConfirmEmailChangeState = {
  result?: { status: Exclude<EmailChangeCheck["status"], "valid"> | "other-user" } | { status: "valid"; to: string; revoked: number };
  /** A refusal that is not about the link (an unreadable form, a failure on our side). */
  error?: string;
};

/**
 * Follows an email change link (docs/product.md §3.1): the token from the link itself proves the new mailbox, so it
 * works signed out or signed in as its own login; signed in as ANOTHER user it is refused (`other-user`, nothing
 * changes: the page offers "Log out and continue"). On success the login's email is the new address (verified),
 * every other session is signed out (this browser, signed in as that login, stays signed in on a fresh session key,
 * as after a password change) and the old address is told, with a "This wasn't me" link.
 */
export const confirmEmailChangeAction = publicAction({
  name: "confirm email change",
  schema: z.object({ token: z.string().max(200) }),
  fail: (refusal: Refusal): ConfirmEmailChangeState => ({ error: refusal.message }),
  run: async ({ input: { token } }): Promise<ConfirmEmailChangeState> => {
    const user = await getCurrentUser();
    const check = await checkEmailChangeToken(token);
    if (user && check.status === "valid" && check.userId !== user.id) return { result: { status: "other-user" } };
    const result = await confirmEmailChange({
      token,
      keepSessionKey: user ? await getCurrentSessionKey() : null,
      request: requestInfo(await headers()),
    });
    if (result.status !== "valid") return { result: { status: result.status } };
    // This browser got a new session row: its token is re-issued with that key and the new session version. Setting
    // the cookie re-renders the page, which then shows the used link as this login's change (page.tsx).
    if (result.sessionKey) await reissueSession(result.sessionKey);
    const notice = result.notice;
    if (notice) after(() => sendMailQuietly(notice));
    return { result: { status: "valid", to: result.to, revoked: result.revoked ?? 0 } };
  },
});

/** "Log out and continue": signs out whoever is signed in and comes back to the email change link. */
export const logoutToEmailChangeAction = publicAction({
  name: "log out to email change",
  schema: z.object({ token: z.string().optional() }),
  fail: () => undefined,
  run: async ({ input: { token } }): Promise<undefined> => {
    await signOut({ redirectTo: isLinkTokenShape(token) ? `/change-email/${token}` : "/login" });
    return undefined;
  },
});
