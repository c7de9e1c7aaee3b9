import "server-only";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { domains, type DomainStatus } from "@/db/schema";
import { checkDomain, resolvesToEdge } from "@/lib/dns/go-live";
import { removeDomain } from "@/lib/domains/manage";
import { addDomainOrClaim } from "@/lib/edge/claims";
import { summariseEnvironment } from "@/lib/domains/summary";
import { actorOf } from "@/lib/actions";
import { normaliseHostname } from "@/lib/hostname";
import { apiDomain, apiEnvironment } from "../access";
import { defineOperation } from "../operation";
import { linkHeader, page, pageQuerySchema } from "../pagination";
import { ApiProblem, notFoundProblem, validationProblem } from "../problem";
import {
  domainCheckSchema,
  domainClaimSchema,
  domainDetailSchema,
  domainEngagedSchema,
  environmentEngagedSchema,
  environmentSummarySchema,
} from "../schemas";
import { checksPage, domainsOfEnvironment, toCheck, toDomainClaim, toDomainDetail, toEnvironmentSummary } from "../serialize";
import { z } from "../zod";
import { accountDomainParams, environmentDomainParams, environmentParams } from "./params";
import type { DomainRow } from "@/db/types";

// Domains and go-live (docs/product.md §3.5; Section: DomainApiController, EnvironmentApiController): add and remove a domain
// on an environment; a domain's full status, found records and check history; `verifyEngaged` (check now, at most
// once per 10 s per domain as "Verify now") and `engaged` (last known).

/**
 * Runs the go-live check of a domain now, as "Verify now" does (docs/product.md §3.5): refused within 10 s of the
 * previous Verify now of that domain (console, API or /ops; background checks do not count) or while a check runs.
 * Returns the domain row after it and whether a check ran.
 */
async function verifyNow(domain: DomainRow): Promise<{ domain: DomainRow; checked: boolean }> {
  const result = await checkDomain(domain.id, { verifyNow: true });
  if (result.skipped === "not-found") throw notFoundProblem();
  const fresh = await first(getDb().select().from(domains).where(eq(domains.id, domain.id)));
  if (!fresh) throw notFoundProblem();
  return { domain: fresh, checked: !result.skipped };
}

export const domainOperations = [
  defineOperation({
    operationId: "environmentAddDomain",
    method: "post",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/domain/{hostName}",
    tags: ["Domain"],
    summary: "Adds a domain to the environment (normalised, unique platform-wide). It goes live once its DNS points at the edge.",
    description:
      "A hostname another account holds is not refused: the answer is 202 with a claim and the TXT record `_edge-challenge.<hostname>` to publish; once the console sees it, the hostname moves to this environment. A hostname used in the same account is a 409.",
    params: environmentDomainParams,
    write: true,
    problems: ["conflict"],
    responses: {
      200: { description: "Environment Summary", schema: environmentSummarySchema },
      202: { description: "The hostname is held by another account: a claim was made", schema: domainClaimSchema },
    },
    handle: async ({ caller, params }) => {
      const { environment, user } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "domain.manage",
        "add domains",
      );
      const host = normaliseHostname(params.hostName);
      if (!host.ok) throw validationProblem([{ field: "hostName", message: host.message }]);
      const result = await addDomainOrClaim({
        environment,
        actor: actorOf(user),
        hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
        ownershipRequired: await resolvesToEdge(host.hostname),
      });
      if (result.ok && result.kind === "claim") return { status: 202, body: toDomainClaim(result.claim) };
      if (!result.ok) {
        if (result.code === "taken")
          throw new ApiProblem("conflict", result.message, { extensions: { errors: [{ field: "hostName", message: result.message }] } });
        throw notFoundProblem();
      }
      return { status: 200, body: await toEnvironmentSummary(environment) };
    },
  }),

  defineOperation({
    operationId: "environmentRemoveDomain",
    method: "delete",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/domain/{hostName}",
    tags: ["Domain"],
    summary: "Removes a domain from the environment, which frees the hostname.",
    params: environmentDomainParams,
    write: true,
    responses: { 200: { description: "Environment Summary", schema: environmentSummarySchema } },
    handle: async ({ caller, params }) => {
      const { environment, user } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "domain.manage",
        "remove domains",
      );
      const { domain } = await apiDomain(caller, params.accountId, params.hostName, "domain.manage", "remove domains");
      if (domain.environmentId !== environment.id) throw notFoundProblem();
      const result = await removeDomain({ domainId: domain.id, actor: actorOf(user) });
      if (!result.ok) throw notFoundProblem();
      return { status: 200, body: await toEnvironmentSummary(environment) };
    },
  }),

  defineOperation({
    operationId: "domainGet",
    method: "get",
    path: "/account/{accountId}/domain/{hostName}",
    tags: ["Domain"],
    summary: "A domain's full go-live status: the records to create and what the latest check found.",
    params: accountDomainParams,
    responses: { 200: { description: "The domain", schema: domainDetailSchema } },
    handle: async ({ caller, params }) => {
      const { domain } = await apiDomain(caller, params.accountId, params.hostName, "account.read", "see domains");
      return { status: 200, body: await toDomainDetail(domain) };
    },
  }),

  defineOperation({
    operationId: "domainHistory",
    method: "get",
    path: "/account/{accountId}/domain/{hostName}/history",
    tags: ["Domain"],
    summary: "A domain's go-live checks, newest first (paginated; the last 50 are kept).",
    params: accountDomainParams,
    query: pageQuerySchema,
    responses: { 200: { description: "Checks", schema: z.array(domainCheckSchema), headers: linkHeader } },
    handle: async ({ caller, params, query, url }) => {
      const { domain } = await apiDomain(caller, params.accountId, params.hostName, "account.read", "see domains");
      const rows = await checksPage(domain.id, query.cursor ? Number(query.cursor) : null, query.limit);
      const { items, headers } = page(rows, query.limit, url, (c) => c.id);
      return { status: 200, body: items.map(toCheck), headers };
    },
  }),

  defineOperation({
    operationId: "verifyEngaged",
    method: "get",
    path: "/account/{accountId}/domain/{hostName}/verifyEngaged",
    tags: ["Domain"],
    summary: 'Checks now whether the domain routes through the edge ("Verify now"; at most once per 10 s per domain).',
    description:
      "A GET that runs a go-live check (a write): it needs a token without the read-only scope and a role that may verify domains (403 otherwise). Within 10 s of the previous Verify now (console, API or /ops; background checks do not count), or while a check runs, the last known state is answered with `checked: false`. To poll with a read-only token, use `GET …/environment/{environmentName}/engaged` or `GET …/domain/{hostName}` (last known state; the scheduler keeps checking).",
    params: accountDomainParams,
    write: true,
    responses: { 200: { description: "Whether the domain is live, with its full status", schema: domainEngagedSchema } },
    handle: async ({ caller, params }) => {
      const found = await apiDomain(caller, params.accountId, params.hostName, "domain.verify", "verify domains");
      const { domain, checked } = await verifyNow(found.domain);
      const live = domain.status === "live";
      return {
        status: 200,
        body: { is_engaged: live, hostnames: { [domain.hostname]: live }, checked, domain: await toDomainDetail(domain) },
      };
    },
  }),

  defineOperation({
    operationId: "environmentVerifyEngaged",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/verifyEngaged",
    tags: ["Environment", "Domain"],
    summary: "Checks every domain of the environment now (each at most once per 10 s) and says whether all are live.",
    description:
      "A GET that runs go-live checks (a write): it needs a token without the read-only scope and a role that may verify domains (403 otherwise). To poll with a read-only token, use `…/engaged` (last known state, no check).",
    params: environmentParams,
    write: true,
    responses: { 200: { description: "Whether the environment routes through the edge", schema: environmentEngagedSchema } },
    handle: async ({ caller, params }) => {
      const { environment } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "domain.verify",
        "verify domains",
      );
      const rows = [];
      for (const d of await domainsOfEnvironment(environment.id)) rows.push((await verifyNow(d)).domain);
      return { status: 200, body: await engaged(rows) };
    },
  }),

  defineOperation({
    operationId: "environmentFetchEngaged",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/engaged",
    tags: ["Environment", "Domain"],
    summary: "The last known state of the environment's domains, without checking again.",
    description: "Read-only (any token): the way to poll go-live. Use `verifyEngaged` (a write-capable token) to check now.",
    params: environmentParams,
    responses: { 200: { description: "Whether the environment routes through the edge", schema: environmentEngagedSchema } },
    handle: async ({ caller, params }) => {
      const { environment } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "account.read",
        "see domains",
      );
      return { status: 200, body: await engaged(await domainsOfEnvironment(environment.id)) };
    },
  }),
];

async function engaged(rows: DomainRow[]) {
  const status = summariseEnvironment(rows.map((d) => d.status as DomainStatus));
  return { is_engaged: status.total > 0 && status.live === status.total, status, domains: await Promise.all(rows.map(toDomainDetail)) };
}
