"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { lookupAccount, toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { createEnvironment } from "@/lib/environments/create";
import { deleteEnvironment } from "@/lib/environments/delete";
import { checkEnvironmentName } from "@/lib/environments/names";
import { actorOf, environmentPath, getApplicationById, lookupEnvironment } from "@/lib/environments/access";
import { normaliseHostname } from "@/lib/hostname";

const NOT_FOUND = "Not found: it does not exist or you do not have access to it.";
const UNEXPECTED = "Something went wrong on our side; nothing was changed. Try again in a moment.";
const text = (max: number) => z.string().max(max).default("");

export type CreateEnvironmentState = {
  error?: string;
  fieldErrors?: { name?: string; source?: string; hostname?: string };
  values?: { name: string; source: string; hostname: string };
};

const createSchema = z.object({ applicationId: text(20), name: text(200), source: text(200), hostname: text(2000) });

/**
 * Creates an environment (SPEC §3.4) for a member with "environment.manage": name, source environment and one
 * hostname (normalised, unique platform-wide). The account is taken from the application row. Opens the new
 * environment's page.
 */
export async function createEnvironmentAction(_prev: CreateEnvironmentState, form: FormData): Promise<CreateEnvironmentState> {
  const user = await requireUser();
  const input = createSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return { error: "The form was not understood. Reload the page and try again." };
  const values = { name: input.data.name, source: input.data.source, hostname: input.data.hostname };
  const appId = toId(input.data.applicationId);
  const application = appId === null ? undefined : await getApplicationById(appId);
  if (!application) return { error: NOT_FOUND, values };
  const access = await lookupAccount(user, application.accountId, "environment.manage", "create environments");
  if (!access.ok) return { error: access.message, values };

  // Both fields are checked up front so the form shows every problem at once.
  const name = await checkEnvironmentName(values.name);
  const host = values.hostname.trim()
    ? normaliseHostname(values.hostname)
    : ({ ok: false, message: "Enter the hostname this environment will serve, e.g. staging.example.com." } as const);
  if (!name.ok || !host.ok) {
    return { fieldErrors: { ...(name.ok ? {} : { name: name.message }), ...(host.ok ? {} : { hostname: host.message }) }, values };
  }

  let created: Awaited<ReturnType<typeof createEnvironment>>;
  try {
    created = await createEnvironment({
      application,
      actor: actorOf(user),
      name: values.name,
      source: values.source,
      hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
      // A hostname that already resolves to the edge must prove ownership before going live (SPEC §3.5).
      ownershipRequired: await resolvesToEdge(host.hostname),
    });
  } catch (error) {
    console.error("create environment failed", { userId: user.id, applicationId: application.id, name: values.name }, error);
    return { error: UNEXPECTED, values };
  }
  if (!created.ok) {
    if (created.code === "not_found" && created.field === "name") return { error: NOT_FOUND, values };
    return { fieldErrors: { [created.field]: created.message }, values };
  }
  revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
  redirect(environmentPath(created.environment));
}

export type DeleteEnvironmentState = { error?: string; fieldErrors?: { confirmation?: string }; values?: { confirmation: string } };

const deleteSchema = z.object({ environmentId: text(20), confirmation: text(200) });

/**
 * Deletes a non-Production environment (SPEC §3.4) for a member with "environment.manage", after the typed
 * confirmation of its name and only when none of its domains is live; its branch is kept as a tag.
 */
export async function deleteEnvironmentAction(_prev: DeleteEnvironmentState, form: FormData): Promise<DeleteEnvironmentState> {
  const user = await requireUser();
  const input = deleteSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return { error: "The form was not understood. Reload the page and try again." };
  const values = { confirmation: input.data.confirmation };
  const envId = toId(input.data.environmentId);
  const found = envId === null ? null : await lookupEnvironment(user, envId, "environment.manage", "delete environments");
  if (!found || !found.ok) return { error: found?.message ?? NOT_FOUND, values };
  const { application, environment } = found.value;

  let result: Awaited<ReturnType<typeof deleteEnvironment>>;
  try {
    result = await deleteEnvironment({ application, environment, actor: actorOf(user), confirmation: values.confirmation });
  } catch (error) {
    console.error("delete environment failed", { userId: user.id, environmentId: environment.id }, error);
    return { error: UNEXPECTED, values };
  }
  if (!result.ok) {
    if (result.code === "confirmation") return { fieldErrors: { confirmation: result.message }, values };
    return { error: result.code === "not_found" ? NOT_FOUND : result.message, values };
  }
  revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
  redirect(`/account/${application.accountId}/application/${application.id}`);
}
