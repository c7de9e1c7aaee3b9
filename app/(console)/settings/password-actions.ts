"use server";

import { headers } from "next/headers";
import { userAction } from "@/lib/actions";
import { reissueSession } from "@/lib/auth/auth";
import { getCurrentSessionKey } from "@/lib/auth/session";
import { requestInfo } from "@/lib/security-log/request-info";
import { changePassword, changePasswordSchema } from "@/lib/user-settings/password";

type Field = "currentPassword" | "newPassword" | "confirmPassword";

/** What the "Change password" form shows after a submit (passwords are never sent back). */
export type PasswordState = { fieldErrors?: Partial<Record<Field, string>>; message?: string; error?: string; done?: number };

/**
 * Changes the signed-in user's password (docs/product.md §3.1): needs the current one; signs every other browser out
 * (session version bumped, other session rows revoked) and re-issues this browser's token with the new version.
 */
export const changePasswordAction = userAction({
  name: "change password",
  schema: changePasswordSchema,
  fail: (refusal): PasswordState => {
    const fieldErrors: PasswordState["fieldErrors"] = {};
    for (const field of ["currentPassword", "newPassword", "confirmPassword"] as const) {
      if (refusal.fieldErrors[field]) fieldErrors[field] = refusal.fieldErrors[field];
    }
    return refusal.kind === "invalid" && Object.keys(fieldErrors).length > 0 ? { fieldErrors } : { error: refusal.message };
  },
  run: async ({ input, user }): Promise<PasswordState> => {
    const result = await changePassword({
      user,
      currentPassword: input.currentPassword,
      newPassword: input.newPassword,
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
  },
});
