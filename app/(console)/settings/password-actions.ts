"use server";

import { headers } from "next/headers";
import { reissueSession } from "@/lib/auth/auth";
import { getCurrentSessionKey, requireUser } from "@/lib/auth/session";
import { requestInfo } from "@/lib/security-log/request-info";
import { changePassword, changePasswordSchema } from "@/lib/user-settings/password";

type Field = "currentPassword" | "newPassword" | "confirmPassword";

/** What the "Change password" form shows after a submit (passwords are never sent back). */
export type PasswordState = { fieldErrors?: Partial<Record<Field, string>>; message?: string; done?: number };

/**
 * Changes the signed-in user's password (SPEC §3.1): needs the current one; signs every other browser out (session
 * version bumped, other session rows revoked) and re-issues this browser's token with the new version.
 */
export async function changePasswordAction(_prev: PasswordState, form: FormData): Promise<PasswordState> {
  const user = await requireUser("/settings");
  const input = changePasswordSchema.safeParse({
    currentPassword: String(form.get("currentPassword") ?? ""),
    newPassword: String(form.get("newPassword") ?? ""),
    confirmPassword: String(form.get("confirmPassword") ?? ""),
  });
  if (!input.success) {
    const fieldErrors: PasswordState["fieldErrors"] = {};
    for (const issue of input.error.issues) fieldErrors[issue.path[0] as Field] ??= issue.message;
    return { fieldErrors };
  }
  const result = await changePassword({
    user,
    currentPassword: input.data.currentPassword,
    newPassword: input.data.newPassword,
    keepSessionKey: await getCurrentSessionKey(),
    request: requestInfo(await headers()),
  });
  if (!result.ok) return { fieldErrors: { [result.field]: result.message } };
  // This browser got a new session row: its token is re-issued with that key and the new version. Setting that cookie
  // re-renders the page in this response, and getCurrentUser reads the new token from cookies() (lib/auth/session.ts).
  if (result.sessionKey) await reissueSession(result.sessionKey);
  const others =
    result.revoked === 0 ? "" : ` ${result.revoked} other ${result.revoked === 1 ? "session was" : "sessions were"} signed out.`;
  return { message: `Password changed.${others}`, done: Date.now() };
}
