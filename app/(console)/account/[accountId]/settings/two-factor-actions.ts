"use server";

import { revalidatePath } from "next/cache";
import { displayName, requireUser } from "@/lib/auth/session";
import { NOT_FOUND } from "@/lib/members/common";
import { setRequireTwoFactor } from "@/lib/two-factor/requirement";
import { idField } from "../members/ids";
import { failure, success, type FormState } from "../members/state";

/**
 * Turns "Require two-factor authentication for members" on (`required=on`) or off (owners only; refused while the
 * owner lacks it themselves). lib/two-factor/requirement authorizes against the account row and audits the change.
 */
export async function setRequireTwoFactorAction(_prev: FormState, form: FormData): Promise<FormState> {
  const accountId = idField.safeParse(form.get("accountId"));
  const required = form.get("required") === "on";
  const user = await requireUser();
  if (!accountId.success) return failure(NOT_FOUND.message);
  const result = await setRequireTwoFactor({ accountId: accountId.data, actor: { id: user.id, name: displayName(user) }, required });
  if (!result.ok) return failure(result.message);
  revalidatePath(`/account/${accountId.data}/settings`);
  return success(
    required ? "Members now need two-factor authentication to open this account." : "Two-factor authentication is no longer required.",
  );
}
