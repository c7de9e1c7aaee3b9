"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { accountNameField } from "@/lib/accounts/fields";
import { deleteAccount } from "@/lib/accounts/delete";
import { renameAccount, transferOwnership } from "@/lib/accounts/settings";
import { displayName, requireUser } from "@/lib/auth/session";
import { NOT_FOUND } from "@/lib/members/common";
import { idField } from "../members/ids";
import { failure, success, type FormState } from "../members/state";

// Account settings: rename, transfer ownership, delete. lib/accounts authorizes against the account row inside the
// transaction of each change (and audits it); the actions parse, call, refresh.

const id = idField;
type User = Awaited<ReturnType<typeof requireUser>>;
const actorOf = (user: User) => ({ id: user.id, name: displayName(user) });

/** Renames the account (owners and admins). */
export async function renameAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const accountId = id.safeParse(form.get("accountId"));
  const raw = String(form.get("name") ?? "");
  const name = accountNameField.safeParse(raw);
  const user = await requireUser();
  if (!accountId.success) return failure(NOT_FOUND.message);
  if (!name.success) return { fieldErrors: { name: name.error.issues[0].message }, values: { name: raw }, at: Date.now() };
  const result = await renameAccount({ accountId: accountId.data, actor: actorOf(user), name: name.data });
  if (!result.ok) return failure(result.message, { values: { name: raw } });
  revalidatePath("/", "layout"); // the switcher and every page of the account show the name
  return { ...success("Account renamed."), values: { name: name.data } };
}

/** Makes another member owner and the acting owner admin, in one transaction (owners only). */
export async function transferOwnershipAction(_prev: FormState, form: FormData): Promise<FormState> {
  const accountId = id.safeParse(form.get("accountId"));
  const userId = id.safeParse(form.get("userId"));
  const user = await requireUser();
  if (!accountId.success) return failure(NOT_FOUND.message);
  if (!userId.success) return { fieldErrors: { userId: "Choose a member." }, at: Date.now() };
  const result = await transferOwnership({ accountId: accountId.data, actor: actorOf(user), toUserId: userId.data });
  if (!result.ok) return result.field === "userId" ? { fieldErrors: { userId: result.message }, at: Date.now() } : failure(result.message);
  revalidatePath("/", "layout");
  return success("Ownership transferred. You are an admin of this account now.");
}

/** Deletes the account with everything it owns, after the account name was typed (owners only); then leaves. */
export async function deleteAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const accountId = id.safeParse(form.get("accountId"));
  const confirm = String(form.get("confirm") ?? "").slice(0, 200);
  const user = await requireUser();
  if (!accountId.success) return failure(NOT_FOUND.message);
  let result: Awaited<ReturnType<typeof deleteAccount>>;
  try {
    result = await deleteAccount({ accountId: accountId.data, actor: actorOf(user), confirmName: confirm });
  } catch (error) {
    console.error(`deleteAccountAction: account #${accountId.data} by user #${user.id} failed; nothing was deleted`, error);
    return failure("The account could not be deleted; nothing was changed. Try again, or ask your operator to check the server log.", {
      values: { confirm },
    });
  }
  if (!result.ok) {
    return result.field === "confirm"
      ? { fieldErrors: { confirm: result.message }, values: { confirm }, at: Date.now() }
      : failure(result.message, { values: { confirm } });
  }
  revalidatePath("/", "layout");
  redirect("/");
}
