"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { ROLES } from "@/db/schema";
import { accountAction } from "@/lib/actions";
import { accountResource } from "@/lib/actions/resources";
import { roleLabel } from "@/lib/auth/permissions";
import { changeMemberRole, leaveAccount, removeMember } from "@/lib/members/manage";
import { membershipResource } from "@/lib/members/resources";
import { failure, refused, success, type FormState } from "./state";

// Members: change a role, remove a member, leave. The wrapper (lib/actions) loads the membership or account row,
// takes the account from it and checks the caller's effective role; lib/members then re-checks inside the one
// transaction that writes the change with its audit row (the last-owner rule holds under races).

const membership = membershipResource((input: { membershipId: string }) => input.membershipId);
const account = accountResource((input: { accountId: string }) => input.accountId);

/** Changes a member's role (docs/product.md §2: admins never act on an owner; the last owner keeps the role). */
export const changeRoleAction = accountAction({
  name: "change member role",
  schema: z.object({ membershipId: z.string(), role: z.enum(ROLES, { message: "Choose a role from the list." }) }),
  resource: membership,
  permission: "members.manage",
  what: "change roles of members",
  fail: (refusal): FormState => refused(refusal, ["role"]),
  run: async ({ input, resource, actor }): Promise<FormState> => {
    const result = await changeMemberRole({ membershipId: resource.membershipId, role: input.role, actor });
    if (!result.ok) return failure(result.message, { fieldErrors: { role: result.message } });
    revalidatePath(`/account/${result.accountId}`, "layout");
    return result.changed
      ? success(`Role changed to ${roleLabel(input.role)}.`)
      : { tone: "info", message: "The role is unchanged.", at: Date.now() };
  },
});

/** Removes another member from the account (only owners remove owners; never the last owner). */
export const removeMemberAction = accountAction({
  name: "remove member",
  schema: z.object({ membershipId: z.string() }),
  resource: membership,
  permission: "members.manage",
  what: "remove members",
  fail: (refusal): FormState => refused(refusal),
  run: async ({ resource, actor }): Promise<FormState> => {
    const result = await removeMember({ membershipId: resource.membershipId, actor });
    if (!result.ok) return failure(result.message);
    revalidatePath(`/account/${result.accountId}`, "layout");
    return success("Member removed.");
  },
});

/** The signed-in user leaves the account (never its last owner), then goes to another account or /account/new. */
export const leaveAccountAction = accountAction({
  name: "leave account",
  schema: z.object({ accountId: z.string() }),
  resource: account,
  permission: "account.read",
  what: "leave the account",
  fail: (refusal): FormState => refused(refusal),
  run: async ({ resource, actor }): Promise<FormState> => {
    const result = await leaveAccount({ accountId: resource.accountId, actor });
    if (!result.ok) return failure(result.message);
    revalidatePath("/", "layout");
    redirect("/");
  },
});
