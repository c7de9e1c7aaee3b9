"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { publicAction } from "@/lib/actions";
import { newPasswordField } from "@/lib/auth/email";
import { resetPassword } from "@/lib/auth/password-reset";
import { requestInfo } from "@/lib/security-log/request-info";
import { RESET_LINK_PROBLEMS } from "./messages";

export type ResetPasswordState = { error?: string; fieldErrors?: { password?: string } };

const unknownLink = `${RESET_LINK_PROBLEMS.unknown.title}. ${RESET_LINK_PROBLEMS.unknown.text}`;

/**
 * Sets a new password through a reset link: the token (from the link) must be valid and unused; the user is then
 * signed out everywhere (session version bumped) and sent to /login with a notice.
 */
export const resetPasswordAction = publicAction({
  name: "reset password",
  schema: z.object({ token: z.string().max(200), password: newPasswordField }),
  fail: (refusal): ResetPasswordState => {
    if (refusal.fieldErrors.password) return { fieldErrors: { password: refusal.fieldErrors.password } };
    return { error: refusal.kind === "invalid" ? unknownLink : refusal.message };
  },
  run: async ({ input }): Promise<ResetPasswordState> => {
    const result = await resetPassword({ ...input, request: requestInfo(await headers()) });
    if (result.status !== "valid") {
      const problem = RESET_LINK_PROBLEMS[result.status];
      return { error: `${problem.title}. ${problem.text}` };
    }
    redirect(`/login?reset=done&email=${encodeURIComponent(result.user.email)}`);
  },
});
