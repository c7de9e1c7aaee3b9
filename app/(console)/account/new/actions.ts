"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { accountNameField } from "@/lib/accounts/fields";
import { requireUser, displayName } from "@/lib/auth/session";
import { createAccount } from "@/db/queries/accounts";
import { setLastAccount } from "@/db/queries/users";

export type NewAccountState = { fieldErrors?: { name?: string }; values?: { name?: string } };

/** Creates an account (organization) with the signed-in user as its owner, then opens it. */
export async function createAccountAction(_prev: NewAccountState, form: FormData): Promise<NewAccountState> {
  const user = await requireUser("/account/new");
  const raw = String(form.get("name") ?? "");
  const parsed = accountNameField.safeParse(raw);
  if (!parsed.success) return { fieldErrors: { name: parsed.error.issues[0].message }, values: { name: raw } };
  const account = await createAccount({ name: parsed.data, owner: { id: user.id, name: displayName(user) } });
  await setLastAccount({ userId: user.id, accountId: account.id });
  revalidatePath("/", "layout"); // the header's account switcher lists the new account
  redirect(`/account/${account.id}`);
}
