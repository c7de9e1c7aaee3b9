"use server";

import { redirect } from "next/navigation";
import { signOut } from "@/lib/auth/auth";
import { requireUser } from "@/lib/auth/session";
import type { TypedDeleteState } from "@/components/ui/typed-delete-form";
import { deleteOwnUser } from "@/lib/user-settings/delete-user";

/**
 * Deletes the signed-in user (SPEC §3.1) after the email address was typed: refused, naming the accounts, while
 * they are the last owner of any account; otherwise memberships go with the user and the browser is signed out.
 * The user is always the signed-in one: the form's `userId` field is ignored.
 */
export async function deleteUserAction(_prev: TypedDeleteState, form: FormData): Promise<TypedDeleteState> {
  const user = await requireUser("/settings");
  const confirmation = String(form.get("confirmation") ?? "");
  const result = deleteOwnUser({ userId: user.id, confirmation });
  if (!result.ok) {
    if (result.code === "confirmation") return { fieldErrors: { confirmation: result.message }, values: { confirmation } };
    if (result.code === "last_owner") return { error: result.message, values: { confirmation } };
    redirect("/login");
  }
  await signOut({ redirectTo: "/login?deleted=1" });
  return {};
}
