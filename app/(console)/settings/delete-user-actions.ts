"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { userAction } from "@/lib/actions";
import { signOut } from "@/lib/auth/auth";
import { requestInfo } from "@/lib/security-log/request-info";
import { deleteOwnUserAfterReauth } from "@/lib/user-settings/delete-user-reauth";

/** What the "Delete my user" form shows after a submit: a form error or field errors (passwords and codes are never sent back). */
export type DeleteUserState = {
  error?: string;
  fieldErrors?: { confirmation?: string; currentPassword?: string; code?: string };
  values?: { confirmation?: string };
  at?: number;
};

/**
 * Deletes the signed-in user (docs/product.md §3.1) after the email address was typed, the current password given
 * (rate-limited, a wrong one is logged) and, with two-factor authentication on, a fresh code: refused, naming the
 * accounts, while they are the last owner of any account; otherwise memberships go with the user and the browser is
 * signed out. The user is always the signed-in one: the form's `userId` field is ignored.
 */
export const deleteUserAction = userAction({
  name: "delete user",
  schema: z.object({
    confirmation: z
      .string()
      .default("")
      .transform((s) => s.slice(0, 320)),
    currentPassword: z
      .string()
      .default("")
      .transform((s) => s.slice(0, 256)),
    code: z
      .string()
      .default("")
      .transform((s) => s.trim().slice(0, 64)),
  }),
  fail: (refusal): DeleteUserState => ({
    error: refusal.message,
    values: { confirmation: refusal.raw.confirmation ?? "" },
    at: Date.now(),
  }),
  run: async ({ input, user }): Promise<DeleteUserState> => {
    const values = { confirmation: input.confirmation };
    if (!input.currentPassword) return { fieldErrors: { currentPassword: "Enter your current password." }, values, at: Date.now() };
    const result = await deleteOwnUserAfterReauth({
      user,
      confirmation: input.confirmation,
      currentPassword: input.currentPassword,
      twoFactorCode: input.code,
      request: requestInfo(await headers()),
    });
    if (!result.ok) {
      if (result.code === "confirmation") return { fieldErrors: { confirmation: result.message }, values, at: Date.now() };
      if (result.code === "reauth") return { fieldErrors: { [result.field]: result.message }, values, at: Date.now() };
      if (result.code === "last_owner") return { error: result.message, values, at: Date.now() };
      redirect("/login");
    }
    await signOut({ redirectTo: "/login?deleted=1" });
    return {};
  },
});
