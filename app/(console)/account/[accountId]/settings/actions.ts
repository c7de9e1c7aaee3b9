"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction } from "@/lib/actions";
import { accountResource } from "@/lib/actions/resources";
import { accountNameField } from "@/lib/accounts/fields";
import { deleteAccount } from "@/lib/accounts/delete";
import { renameAccount, transferOwnership } from "@/lib/accounts/settings";
import { toId } from "@/lib/auth/access";
import { failure, refused, success, type FormState } from "../members/state";

// Account settings: rename, transfer ownership, delete. The wrapper (lib/actions) checks the permission on the
// account of the form's id; lib/accounts re-checks inside the transaction of each change (and audits it).

const account = accountResource((input: { accountId: string }) => input.accountId);

/** Renames the account (owners and admins). */
export const renameAccountAction = accountAction({
  name: "rename account",
  schema: z.object({ accountId: z.string(), name: accountNameField }),
  resource: account,
  permission: "account.rename",
  what: "rename the account",
  fail: (refusal): FormState => refused(refusal, ["name"], { name: refusal.raw.name ?? "" }),
  run: async ({ input, resource, actor, raw }): Promise<FormState> => {
    const result = await renameAccount({ accountId: resource.accountId, actor, name: input.name });
    if (!result.ok) return failure(result.message, { values: { name: raw.name ?? "" } });
    revalidatePath("/", "layout"); // the switcher and every page of the account show the name
    return { ...success("Account renamed."), values: { name: input.name } };
  },
});

/** Makes another member owner and the acting owner admin, in one transaction (owners only). */
export const transferOwnershipAction = accountAction({
  name: "transfer ownership",
  schema: z.object({ accountId: z.string(), userId: z.string().default("") }),
  resource: account,
  permission: "owner.grant",
  what: "transfer ownership",
  fail: (refusal): FormState => refused(refusal),
  run: async ({ input, resource, actor }): Promise<FormState> => {
    const toUserId = toId(input.userId);
    if (toUserId === null) return { fieldErrors: { userId: "Choose a member." }, at: Date.now() };
    const result = await transferOwnership({ accountId: resource.accountId, actor, toUserId });
    if (!result.ok)
      return result.field === "userId" ? { fieldErrors: { userId: result.message }, at: Date.now() } : failure(result.message);
    revalidatePath("/", "layout");
    return success("Ownership transferred. You are an admin of this account now.");
  },
});

/** Deletes the account with everything it owns, after the account name was typed (owners only); then leaves. */
export const deleteAccountAction = accountAction({
  name: "delete account",
  schema: z.object({ accountId: z.string(), confirm: z.string().default("") }),
  resource: account,
  permission: "account.delete",
  what: "delete the account",
  fail: (refusal): FormState => refused(refusal, [], { confirm: (refusal.raw.confirm ?? "").slice(0, 200) }),
  run: async ({ input, resource, actor }): Promise<FormState> => {
    const confirm = input.confirm.slice(0, 200);
    const result = await deleteAccount({ accountId: resource.accountId, actor, confirmName: confirm });
    if (!result.ok) {
      return result.field === "confirm"
        ? { fieldErrors: { confirm: result.message }, values: { confirm }, at: Date.now() }
        : failure(result.message, { values: { confirm } });
    }
    revalidatePath("/", "layout");
    redirect("/");
  },
});
