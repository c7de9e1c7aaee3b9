"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { ROLES } from "@/db/schema";
import { roleLabel } from "@/lib/auth/permissions";
import { displayName, requireUser } from "@/lib/auth/session";
import { NOT_FOUND } from "@/lib/members/common";
import { changeMemberRole, leaveAccount, removeMember } from "@/lib/members/manage";
import { idField } from "./ids";
import { failure, success, type FormState } from "./state";

// Members: change a role, remove a member, leave. Each action parses the form, then lib/members authorizes against
// the membership (or account) row and writes in one transaction with its audit row; then the pages are refreshed.

const id = idField;
const roleSchema = z.object({ membershipId: id, role: z.enum(ROLES, { message: "Choose a role from the list." }) });
const membershipSchema = z.object({ membershipId: id });
const accountSchema = z.object({ accountId: id });

const actorOf = (user: Awaited<ReturnType<typeof requireUser>>) => ({ id: user.id, name: displayName(user) });

/** Changes a member's role (SPEC §2: admins never act on an owner; the last owner keeps the role). */
export async function changeRoleAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = roleSchema.safeParse(Object.fromEntries(form));
  const user = await requireUser();
  if (!input.success) {
    const roleError = input.error.issues.find((i) => i.path[0] === "role");
    return roleError ? failure(roleError.message, { fieldErrors: { role: roleError.message } }) : failure(NOT_FOUND.message);
  }
  const result = await changeMemberRole({ membershipId: input.data.membershipId, role: input.data.role, actor: actorOf(user) });
  if (!result.ok) return failure(result.message, { fieldErrors: { role: result.message } });
  revalidatePath(`/account/${result.accountId}`, "layout");
  return result.changed
    ? success(`Role changed to ${roleLabel(input.data.role)}.`)
    : { tone: "info", message: "The role is unchanged.", at: Date.now() };
}

/** Removes a member from the account (needs "members.manage"; only owners remove owners; never the last owner). */
export async function removeMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = membershipSchema.safeParse(Object.fromEntries(form));
  const user = await requireUser();
  if (!input.success) return failure(NOT_FOUND.message);
  const result = await removeMember({ membershipId: input.data.membershipId, actor: actorOf(user) });
  if (!result.ok) return failure(result.message);
  revalidatePath(`/account/${result.accountId}`, "layout");
  return success("Member removed.");
}

/** The signed-in user leaves the account (never its last owner), then goes to another account or /account/new. */
export async function leaveAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = accountSchema.safeParse(Object.fromEntries(form));
  const user = await requireUser();
  if (!input.success) return failure(NOT_FOUND.message);
  const result = await leaveAccount({ accountId: input.data.accountId, actor: actorOf(user) });
  if (!result.ok) return failure(result.message);
  revalidatePath("/", "layout");
  redirect("/");
}
