"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { newPasswordField } from "@/lib/auth/email";
import { resetPassword } from "@/lib/auth/password-reset";
import { requestInfo } from "@/lib/security-log/request-info";
import { RESET_LINK_PROBLEMS } from "./messages";

export type ResetPasswordState = { error?: string; fieldErrors?: { password?: string } };

const resetSchema = z.object({ token: z.string().max(200), password: newPasswordField });

/**
 * Sets a new password through a reset link: the token (from the link) must be valid and unused; the user is then
 * signed out everywhere (session version bumped) and sent to /login with a notice.
 */
export async function resetPasswordAction(_prev: ResetPasswordState, form: FormData): Promise<ResetPasswordState> {
  const parsed = resetSchema.safeParse({ token: String(form.get("token") ?? ""), password: String(form.get("password") ?? "") });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === "password") return { fieldErrors: { password: issue.message } };
    return { error: RESET_LINK_PROBLEMS.unknown.title + ". " + RESET_LINK_PROBLEMS.unknown.text };
  }
  const result = await resetPassword({ ...parsed.data, request: requestInfo(await headers()) });
  if (result.status !== "valid") {
    const problem = RESET_LINK_PROBLEMS[result.status];
    return { error: `${problem.title}. ${problem.text}` };
  }
  redirect(`/login?reset=done&email=${encodeURIComponent(result.user.email)}`);
}
