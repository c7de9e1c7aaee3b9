"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { lookupDomain, toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { addDomain, removeDomain } from "@/lib/domains/manage";
import { actorOf, lookupEnvironment } from "@/lib/environments/access";
import { normaliseHostname } from "@/lib/hostname";

const NOT_FOUND = "Not found: it does not exist or you do not have access to it.";
const UNEXPECTED = "Something went wrong on our side; nothing was changed. Try again in a moment.";
const text = (max: number) => z.string().max(max).default("");

export type AddDomainState = {
  ok?: boolean;
  error?: string;
  notice?: string;
  fieldErrors?: { hostname?: string };
  values?: { hostname: string };
  at?: number;
};

const addSchema = z.object({ environmentId: text(20), hostname: text(2000) });

/**
 * Adds a domain to an environment (SPEC §3.5) for a member with "domain.manage": the hostname is normalised (§4)
 * and unique platform-wide (database constraint; a lost race is a field message). The account is taken from the
 * environment row. A hostname already resolving to the edge must prove ownership before going live.
 */
export async function addDomainAction(_prev: AddDomainState, form: FormData): Promise<AddDomainState> {
  const user = await requireUser();
  const input = addSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return { error: "The form was not understood. Reload the page and try again." };
  const values = { hostname: input.data.hostname };
  const envId = toId(input.data.environmentId);
  const found = envId === null ? null : await lookupEnvironment(user, envId, "domain.manage", "add domains");
  if (!found || !found.ok) return { error: found?.message ?? NOT_FOUND, values };
  const { application, environment } = found.value;
  if (!values.hostname.trim()) return { fieldErrors: { hostname: "Enter a hostname, e.g. shop.example.com." }, values };
  const host = normaliseHostname(values.hostname);
  if (!host.ok) return { fieldErrors: { hostname: host.message }, values };

  let result: Awaited<ReturnType<typeof addDomain>>;
  try {
    result = await addDomain({
      environment,
      actor: actorOf(user),
      hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
      ownershipRequired: await resolvesToEdge(host.hostname),
    });
  } catch (error) {
    console.error("add domain failed", { userId: user.id, environmentId: environment.id }, error);
    return { error: UNEXPECTED, values };
  }
  if (!result.ok)
    return result.code === "taken" ? { fieldErrors: { hostname: result.message }, values } : { error: result.message, values };
  revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
  return { ok: true, notice: `Added ${result.domain.hostnameUnicode}.`, values: { hostname: "" }, at: Date.now() };
}

export type RemoveDomainState = { error?: string };

/** Removes a domain from its environment (frees the hostname) for a member with "domain.manage"; account from the domain row. */
export async function removeDomainAction(_prev: RemoveDomainState, form: FormData): Promise<RemoveDomainState> {
  const user = await requireUser();
  const domainId = toId(form.get("domainId"));
  const found = domainId === null ? null : await lookupDomain(user, domainId, "domain.manage", "remove domains");
  if (!found || !found.ok) return { error: found?.message ?? NOT_FOUND };
  let result: Awaited<ReturnType<typeof removeDomain>>;
  try {
    result = await removeDomain({ domainId: found.value.domain.id, actor: actorOf(user) });
  } catch (error) {
    console.error("remove domain failed", { userId: user.id, domainId }, error);
    return { error: UNEXPECTED };
  }
  if (!result.ok) return { error: result.message };
  revalidatePath(`/account/${found.value.application.accountId}/application/${found.value.application.id}`, "layout");
  return {};
}
