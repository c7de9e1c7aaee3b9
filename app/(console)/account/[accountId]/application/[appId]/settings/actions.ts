"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { deleteApplication, renameApplication } from "@/lib/applications/settings";
import { actorOf } from "@/lib/environments/access";

const UNEXPECTED = "Something went wrong on our side; nothing was changed. Try again in a moment.";
const text = (max: number) => z.string().max(max).default("");

export type ApplicationSettingsState = {
  ok?: boolean;
  error?: string;
  fieldErrors?: { name?: string; confirmation?: string };
  values?: { name?: string; confirmation?: string };
  at?: number;
};

const renameSchema = z.object({ applicationId: text(20), name: text(1000) });

/** Renames an application's display name (owners and admins); the account is taken from the application row. */
export async function renameApplicationAction(_prev: ApplicationSettingsState, form: FormData): Promise<ApplicationSettingsState> {
  const user = await requireUser();
  const input = renameSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return { error: "The form was not understood. Reload the page and try again." };
  const values = { name: input.data.name };
  const appId = toId(input.data.applicationId);
  if (appId === null) return { error: "Not found: it does not exist or you do not have access to it.", values };
  let result: Awaited<ReturnType<typeof renameApplication>>;
  try {
    result = await renameApplication({ applicationId: appId, actor: actorOf(user), name: values.name });
  } catch (error) {
    console.error("rename application failed", { userId: user.id, applicationId: appId }, error);
    return { error: UNEXPECTED, values };
  }
  if (!result.ok) return result.field === "name" ? { fieldErrors: { name: result.message }, values } : { error: result.message, values };
  revalidatePath(`/account/${result.application.accountId}`, "layout");
  return { ok: true, values: { name: result.application.name }, at: Date.now() };
}

const deleteSchema = z.object({ applicationId: text(20), confirmation: text(1000) });

/**
 * Deletes an application (owners and admins) after the typed confirmation of its name: frees its hostnames and
 * archives its repository. Opens the account page.
 */
export async function deleteApplicationAction(_prev: ApplicationSettingsState, form: FormData): Promise<ApplicationSettingsState> {
  const user = await requireUser();
  const input = deleteSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return { error: "The form was not understood. Reload the page and try again." };
  const values = { confirmation: input.data.confirmation };
  const appId = toId(input.data.applicationId);
  if (appId === null) return { error: "Not found: it does not exist or you do not have access to it.", values };
  let result: Awaited<ReturnType<typeof deleteApplication>>;
  try {
    result = await deleteApplication({ applicationId: appId, actor: actorOf(user), confirmation: values.confirmation });
  } catch (error) {
    console.error("delete application failed", { userId: user.id, applicationId: appId }, error);
    return { error: UNEXPECTED, values };
  }
  if (!result.ok) {
    return result.field === "confirmation" ? { fieldErrors: { confirmation: result.message }, values } : { error: result.message, values };
  }
  revalidatePath(`/account/${result.application.accountId}`, "layout");
  redirect(`/account/${result.application.accountId}`);
}
