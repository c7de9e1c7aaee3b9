"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction, NOT_FOUND_MESSAGE, type Refusal } from "@/lib/actions";
import { applicationResource, environmentResource } from "@/lib/actions/resources";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { environmentPath } from "@/lib/environments/access";
import { createEnvironment } from "@/lib/environments/create";
import { deleteEnvironment } from "@/lib/environments/delete";
import { checkEnvironmentName } from "@/lib/environments/names";
import { normaliseHostname } from "@/lib/hostname";

const text = (max: number) => z.string().max(max).default("");

export type CreateEnvironmentState = {
  error?: string;
  fieldErrors?: { name?: string; source?: string; hostname?: string };
  values?: { name: string; source: string; hostname: string };
};

const createSchema = z.object({ applicationId: text(20), name: text(200), source: text(200), hostname: text(2000) });

// Loaders built before the calls: made inside `accountAction({...})`, the resource's type would be left to
// inference and come out `unknown`.
const createTarget = applicationResource((input: { applicationId: string }) => input.applicationId);
const deleteTarget = environmentResource((input: { environmentId: string }) => input.environmentId);

/**
 * Creates an environment (docs/product.md §3.4) for a member with "environment.manage": name, source environment and
 * one hostname (normalised, unique platform-wide). The account is taken from the application row. Opens the new
 * environment's page.
 */
export const createEnvironmentAction = accountAction({
  name: "create environment",
  schema: createSchema,
  resource: createTarget,
  permission: "environment.manage",
  what: "create environments",
  fail: (r: Refusal): CreateEnvironmentState =>
    r.kind === "invalid"
      ? { error: r.message }
      : { error: r.message, values: { name: r.raw.name ?? "", source: r.raw.source ?? "", hostname: r.raw.hostname ?? "" } },
  run: async ({ input, resource: { application }, actor }): Promise<CreateEnvironmentState> => {
    const values = { name: input.name, source: input.source, hostname: input.hostname };
    // Both fields are checked up front so the form shows every problem at once.
    const name = await checkEnvironmentName(values.name);
    const host = values.hostname.trim()
      ? normaliseHostname(values.hostname)
      : ({ ok: false, message: "Enter the hostname this environment will serve, e.g. staging.example.com." } as const);
    if (!name.ok || !host.ok) {
      return { fieldErrors: { ...(name.ok ? {} : { name: name.message }), ...(host.ok ? {} : { hostname: host.message }) }, values };
    }
    const created = await createEnvironment({
      application,
      actor,
      name: values.name,
      source: values.source,
      hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
      // A hostname that already resolves to the edge must prove ownership before going live (docs/product.md §3.5).
      ownershipRequired: await resolvesToEdge(host.hostname),
    });
    if (!created.ok) {
      if (created.code === "not_found" && created.field === "name") return { error: NOT_FOUND_MESSAGE, values };
      return { fieldErrors: { [created.field]: created.message }, values };
    }
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    redirect(environmentPath(created.environment));
  },
});

export type DeleteEnvironmentState = { error?: string; fieldErrors?: { confirmation?: string }; values?: { confirmation: string } };

const deleteSchema = z.object({ environmentId: text(20), confirmation: text(200) });

/**
 * Deletes a non-Production environment (docs/product.md §3.4) for a member with "environment.manage", after the typed
 * confirmation of its name and only when none of its domains is live; its branch is kept as a tag.
 */
export const deleteEnvironmentAction = accountAction({
  name: "delete environment",
  schema: deleteSchema,
  resource: deleteTarget,
  permission: "environment.manage",
  what: "delete environments",
  fail: (r: Refusal): DeleteEnvironmentState =>
    r.kind === "invalid" ? { error: r.message } : { error: r.message, values: { confirmation: r.raw.confirmation ?? "" } },
  run: async ({ input, resource: { application, environment }, actor }): Promise<DeleteEnvironmentState> => {
    const values = { confirmation: input.confirmation };
    const result = await deleteEnvironment({ application, environment, actor, confirmation: values.confirmation });
    if (!result.ok) {
      if (result.code === "confirmation") return { fieldErrors: { confirmation: result.message }, values };
      return { error: result.code === "not_found" ? NOT_FOUND_MESSAGE : result.message, values };
    }
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    redirect(`/account/${application.accountId}/application/${application.id}`);
  },
});
