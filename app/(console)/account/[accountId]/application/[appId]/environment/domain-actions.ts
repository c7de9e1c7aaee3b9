"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { domainResource, environmentResource } from "@/lib/actions/resources";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { removeDomain } from "@/lib/domains/manage";
import { addDomainOrClaim } from "@/lib/edge/claims";
import { normaliseHostname } from "@/lib/hostname";

const text = (max: number) => z.string().max(max).default("");

const addSchema = z.object({ environmentId: text(20), hostname: text(2000) });
const removeSchema = z.object({ domainId: z.string().default("") });
// Built before the calls: a loader made inside the `accountAction({...})` call leaves the resource's type to
// inference, and it comes out `unknown`.
const targetEnvironment = environmentResource((input: z.output<typeof addSchema>) => input.environmentId);
const removedDomain = domainResource((input: z.output<typeof removeSchema>) => input.domainId);

export type AddDomainState = {
  ok?: boolean;
  error?: string;
  notice?: string;
  fieldErrors?: { hostname?: string };
  values?: { hostname: string };
  at?: number;
};

/**
 * Adds a domain to an environment (docs/product.md §3.5) for a member with "domain.manage": the hostname is
 * normalised (§4) and unique platform-wide (database constraint; a lost race is a field message). The account is
 * taken from the environment row. A hostname already resolving to the edge must prove ownership before going live.
 * A hostname another account holds becomes a claim (lib/edge/claims.ts), shown with its TXT record on the page.
 */
export const addDomainAction = accountAction({
  name: "add domain",
  schema: addSchema,
  resource: targetEnvironment,
  permission: "domain.manage",
  what: "add domains",
  fail: (r: Refusal): AddDomainState =>
    r.kind === "invalid" ? { error: r.message } : { error: r.message, values: { hostname: r.raw.hostname ?? "" } },
  run: async ({ input, actor, resource: { application, environment } }): Promise<AddDomainState> => {
    const values = { hostname: input.hostname };
    if (!values.hostname.trim()) return { fieldErrors: { hostname: "Enter a hostname, e.g. shop.example.com." }, values };
    const host = normaliseHostname(values.hostname);
    if (!host.ok) return { fieldErrors: { hostname: host.message }, values };
    const result = await addDomainOrClaim({
      environment,
      actor,
      hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
      ownershipRequired: await resolvesToEdge(host.hostname),
    });
    if (!result.ok)
      return result.code === "taken" ? { fieldErrors: { hostname: result.message }, values } : { error: result.message, values };
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    if (result.kind === "claim") {
      const notice = `${result.claim.hostnameUnicode} is used by another account. ${result.created ? "A claim was made" : "It is already claimed here"}: publish the TXT record shown under “Claimed hostnames” to take it over.`;
      return { ok: true, notice, values: { hostname: "" }, at: Date.now() };
    }
    return { ok: true, notice: `Added ${result.domain.hostnameUnicode}.`, values: { hostname: "" }, at: Date.now() };
  },
});

export type RemoveDomainState = { error?: string };

/** Removes a domain from its environment (frees the hostname) for a member with "domain.manage"; account from the domain row. */
export const removeDomainAction = accountAction({
  name: "remove domain",
  schema: removeSchema,
  resource: removedDomain,
  permission: "domain.manage",
  what: "remove domains",
  fail: (r: Refusal): RemoveDomainState => ({ error: r.message }),
  run: async ({ actor, resource: { domain, application } }): Promise<RemoveDomainState> => {
    const result = await removeDomain({ domainId: domain.id, actor });
    if (!result.ok) return { error: result.message };
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return {};
  },
});
