"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { after } from "next/server";
import { userAction } from "@/lib/actions";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { requestInfo } from "@/lib/security-log/request-info";
import { changeEmailSchema, requestEmailChange } from "@/lib/user-settings/email-change";
import { profileNameSchema, updateProfileName } from "@/lib/user-settings/profile";

/** What the "Name" form shows after a submit. */
export type NameState = { error?: string; message?: string; values?: { name: string } };

/** Sets the signed-in user's display name (docs/product.md §3.1); empty clears it. */
export const updateNameAction = userAction({
  name: "update name",
  schema: profileNameSchema,
  fail: (refusal): NameState => ({ error: refusal.fieldErrors.name ?? refusal.message, values: { name: refusal.raw.name ?? "" } }),
  run: async ({ input, user }): Promise<NameState> => {
    const { changed } = await updateProfileName({ userId: user.id, name: input.name, request: requestInfo(await headers()) });
    revalidatePath("/", "layout");
    return { message: changed ? "Name saved." : "Nothing to change.", values: { name: input.name } };
  },
});

/** What the "Change email" form shows after a submit. */
export type EmailChangeState = {
  fieldErrors?: { newEmail?: string; currentPassword?: string };
  error?: string;
  message?: string;
  values?: { newEmail: string };
};

/**
 * Starts an email change (docs/product.md §3.1, re-verified): checks the current password (rate-limited), mails a
 * link to the new address and a notice to the old one. The login keeps its email until the link is followed.
 */
export const requestEmailChangeAction = userAction({
  name: "request email change",
  schema: changeEmailSchema,
  fail: (refusal): EmailChangeState => {
    const values = { newEmail: refusal.raw.newEmail ?? "" };
    const fieldErrors: NonNullable<EmailChangeState["fieldErrors"]> = {};
    for (const field of ["newEmail", "currentPassword"] as const) {
      if (refusal.fieldErrors[field]) fieldErrors[field] = refusal.fieldErrors[field];
    }
    return refusal.kind === "invalid" && Object.keys(fieldErrors).length > 0 ? { fieldErrors, values } : { error: refusal.message, values };
  },
  run: async ({ input, user, raw }): Promise<EmailChangeState> => {
    const values = { newEmail: raw.newEmail ?? "" };
    const result = await requestEmailChange({ user, ...input, request: requestInfo(await headers()) });
    if (!result.ok) return { fieldErrors: { [result.field]: result.message }, values };
    const sent = await sendMailQuietly(result.mails.confirm);
    after(() => sendMailQuietly(result.mails.notice));
    revalidatePath("/settings");
    if (!sent) return { error: "The confirmation mail could not be sent right now. Try again in a few minutes.", values };
    return { message: `We sent a link to ${input.newEmail}. Your email changes when you open it (within 24 hours).` };
  },
});
