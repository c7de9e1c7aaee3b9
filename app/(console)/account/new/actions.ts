"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { userAction } from "@/lib/actions";
import { accountNameField } from "@/lib/accounts/fields";
import { createAccount } from "@/lib/accounts/queries";
import { setLastAccount } from "@/lib/users/queries";

export type NewAccountState = { fieldErrors?: { name?: string }; values?: { name?: string }; error?: string };

/** Creates an account (organization) with the signed-in user as its owner, then opens it. */
export const createAccountAction = userAction({
  name: "create account",
  schema: z.object({ name: accountNameField }),
  fail: (refusal): NewAccountState => {
    const values = { name: refusal.raw.name ?? "" };
    return refusal.fieldErrors.name ? { fieldErrors: { name: refusal.fieldErrors.name }, values } : { error: refusal.message, values };
  },
  run: async ({ input, user, actor }): Promise<NewAccountState> => {
    const account = await createAccount({ name: input.name, owner: actor });
    await setLastAccount({ userId: user.id, accountId: account.id });
    revalidatePath("/", "layout"); // the header's account switcher lists the new account
    redirect(`/account/${account.id}`);
  },
});
