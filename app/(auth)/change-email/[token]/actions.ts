"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { signOut } from "@/lib/auth/auth";
import { getCurrentUser } from "@/lib/auth/session";
import { isLinkTokenShape } from "@/lib/invitations/state";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { requestInfo } from "@/lib/security-log/request-info";
import { checkEmailChangeToken, confirmEmailChange, type EmailChangeCheck } from "@/lib/user-settings/email-change";

/** The outcome of pressing "Confirm" on an email change link (null before the first submit). */
export type ConfirmEmailChangeState = {
  result?: Exclude<EmailChangeCheck, { status: "valid" }> | { status: "valid"; to: string } | { status: "other-user" };
};

/**
 * Follows an email change link (SPEC §3.1): the token from the link itself proves the new mailbox, so it works
 * signed out or signed in as its own login; signed in as ANOTHER user it is refused (`other-user`, nothing changes:
 * the page offers "Log out and continue"). On success the login's email is the new address (verified), and the old
 * address is told.
 */
export async function confirmEmailChangeAction(_prev: ConfirmEmailChangeState, form: FormData): Promise<ConfirmEmailChangeState> {
  const token = String(form.get("token") ?? "");
  const user = await getCurrentUser();
  const check = await checkEmailChangeToken(token);
  if (user && check.status === "valid" && check.userId !== user.id) return { result: { status: "other-user" } };
  const result = await confirmEmailChange({ token, request: requestInfo(await headers()) });
  if (result.status !== "valid") return { result };
  const notice = result.notice;
  if (notice) after(() => sendMailQuietly(notice));
  return { result: { status: "valid", to: result.to } };
}

/** "Log out and continue": signs out whoever is signed in and comes back to the email change link. */
export async function logoutToEmailChangeAction(form: FormData): Promise<void> {
  const token = form.get("token");
  await signOut({ redirectTo: isLinkTokenShape(token) ? `/change-email/${token}` : "/login" });
}
