"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { applicationResource } from "@/lib/actions/resources";
import { deleteApplication, renameApplication } from "@/lib/applications/settings";

const text = (max: number) => z.string().max(max).default("");
// Loaders built before the calls: made inside `accountAction({...})`, the resource's type would be left to
// inference and come out `unknown`.
const targetApplication = applicationResource((input: { applicationId: string }) => input.applicationId);

export type ApplicationSettingsState = {
  ok?: boolean;
  error?: string;
  fieldErrors?: { name?: string; confirmation?: string };
  values?: { name?: string; confirmation?: string };
  at?: number;
};

const renameSchema = z.object({ applicationId: text(20), name: text(1000) });

/** Renames an application's display name (owners and admins); the account is taken from the application row. */
export const renameApplicationAction = accountAction({
  name: "rename application",
  schema: renameSchema,
  resource: targetApplication,
  permission: "application.rename",
  what: "rename the application",
  fail: (r: Refusal): ApplicationSettingsState =>
    r.kind === "invalid" ? { error: r.message } : { error: r.message, values: { name: r.raw.name ?? "" } },
  run: async ({ input, resource: { application }, actor }): Promise<ApplicationSettingsState> => {
    const values = { name: input.name };
    const result = await renameApplication({ applicationId: application.id, actor, name: values.name });
    if (!result.ok) return result.field === "name" ? { fieldErrors: { name: result.message }, values } : { error: result.message, values };
    revalidatePath(`/account/${result.application.accountId}`, "layout");
    return { ok: true, values: { name: result.application.name }, at: Date.now() };
  },
});

const deleteSchema = z.object({ applicationId: text(20), confirmation: text(1000) });

/**
 * Deletes an application (owners and admins) after the typed confirmation of its name: frees its hostnames and
 * archives its repository. Opens the account page.
 */
export const deleteApplicationAction = accountAction({
  name: "delete application",
  schema: deleteSchema,
  resource: targetApplication,
  permission: "application.delete",
  what: "delete the application",
  fail: (r: Refusal): ApplicationSettingsState =>
    r.kind === "invalid" ? { error: r.message } : { error: r.message, values: { confirmation: r.raw.confirmation ?? "" } },
  run: async ({ input, resource: { application }, actor }): Promise<ApplicationSettingsState> => {
    const values = { confirmation: input.confirmation };
    const result = await deleteApplication({ applicationId: application.id, actor, confirmation: values.confirmation });
    if (!result.ok) {
      return result.field === "confirmation"
        ? { fieldErrors: { confirmation: result.message }, values }
        : { error: result.message, values };
    }
    revalidatePath(`/account/${result.application.accountId}`, "layout");
    redirect(`/account/${result.application.accountId}`);
  },
});
