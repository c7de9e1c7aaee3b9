"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { after } from "next/server";
import { requireUser } from "@/lib/auth/session";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { requestInfo } from "@/lib/security-log/request-info";
import { changeEmailSchema, requestEmailChange } from "@/lib/user-settings/email-change";
import { profileNameSchema, updateProfileName } from "@/lib/user-settings/profile";

/** What the "Name" form shows after a submit. */
export type NameState = { error?: string; message?: string; values?: { name: string } };

/** Sets the signed-in user's display name (SPEC §3.1); empty clears it. */
export async function updateNameAction(_prev: NameState, form: FormData): Promise<NameState> {
  const user = await requireUser("/settings");
  const values = { name: String(form.get("name") ?? "") };
  const input = profileNameSchema.safeParse(values);
  if (!input.success) return { error: input.error.issues[0]?.message ?? "Check the name.", values };
  const { changed } = await updateProfileName({ userId: user.id, name: input.data.name, request: requestInfo(await headers()) });
  revalidatePath("/", "layout");
  return { message: changed ? "Name saved." : "Nothing to change.", values: { name: input.data.name } };
}

/** What the "Change email" form shows after a submit. */
export type EmailChangeState = {
  fieldErrors?: { newEmail?: string; currentPassword?: string };
  error?: string;
  message?: string;
  values?: { newEmail: string };
};

/**
 * Starts an email change (SPEC §3.1, re-verified): checks the current password (rate-limited), mails a link to the
 * new address and a notice to the old one. The login keeps its email until the link is followed.
 */
export async function requestEmailChangeAction(_prev: EmailChangeState, form: FormData): Promise<EmailChangeState> {
  const user = await requireUser("/settings");
  const values = { newEmail: String(form.get("newEmail") ?? "") };
  const input = changeEmailSchema.safeParse({ ...values, currentPassword: String(form.get("currentPassword") ?? "") });
  if (!input.success) {
    const fieldErrors: NonNullable<EmailChangeState["fieldErrors"]> = {};
    for (const issue of input.error.issues) fieldErrors[issue.path[0] as "newEmail" | "currentPassword"] ??= issue.message;
    return { fieldErrors, values };
  }
  const result = await requestEmailChange({ user, ...input.data, request: requestInfo(await headers()) });
  if (!result.ok) return { fieldErrors: { [result.field]: result.message }, values };
  const sent = await sendMailQuietly(result.mails.confirm);
  after(() => sendMailQuietly(result.mails.notice));
  revalidatePath("/settings");
  if (!sent) return { error: "The confirmation mail could not be sent right now. Try again in a few minutes.", values };
  return { message: `We sent a link to ${input.data.newEmail}. Your email changes when you open it (within 24 hours).` };
}
