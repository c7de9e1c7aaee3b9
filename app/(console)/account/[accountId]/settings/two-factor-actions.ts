"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction } from "@/lib/actions";
import { accountResource } from "@/lib/actions/resources";
import { setRequireTwoFactor } from "@/lib/two-factor/account-setting";
import { failure, refused, success, type FormState } from "../members/state";

const account = accountResource((input: { accountId: string }) => input.accountId);

/**
 * Turns "Require two-factor authentication for members" on (`required=on`) or off (owners only; refused while the
 * owner lacks it themselves). lib/two-factor/account-setting re-checks against the account row and audits the change.
 */
export const setRequireTwoFactorAction = accountAction({
  name: "require two-factor",
  schema: z.object({ accountId: z.string(), required: z.string().optional() }),
  resource: account,
  permission: "account.require-two-factor",
  what: "change the two-factor requirement",
  fail: (refusal): FormState => refused(refusal),
  run: async ({ input, resource, actor }): Promise<FormState> => {
    const required = input.required === "on";
    const result = await setRequireTwoFactor({ accountId: resource.accountId, actor, required });
    if (!result.ok) return failure(result.message);
    revalidatePath(`/account/${resource.accountId}/settings`);
    return success(
      required ? "Members now need two-factor authentication to open this account." : "Two-factor authentication is no longer required.",
    );
  },
});
