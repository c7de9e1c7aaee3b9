"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { requestInfo } from "@/lib/security-log/request-info";
import { confirmEmailChange, type EmailChangeCheck } from "@/lib/user-settings/email-change";

/** The outcome of pressing "Confirm" on an email change link (null before the first submit). */
export type ConfirmEmailChangeState = { result?: Exclude<EmailChangeCheck, { status: "valid" }> | { status: "valid"; to: string } };

/**
 * Follows an email change link (SPEC §3.1): the token from the link itself proves the new mailbox, so it works
 * signed in or not. On success the login's email is the new address (verified), and the old address is told.
 */
export async function confirmEmailChangeAction(_prev: ConfirmEmailChangeState, form: FormData): Promise<ConfirmEmailChangeState> {
  const token = String(form.get("token") ?? "");
  const result = confirmEmailChange({ token, request: requestInfo(await headers()) });
  if (result.status !== "valid") return { result };
  const notice = result.notice;
  if (notice) after(() => sendMailQuietly(notice));
  return { result: { status: "valid", to: result.to } };
}
