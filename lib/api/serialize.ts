import "server-only";
import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { z } from "zod";
import { getDb, first } from "@/db";
import { applications, dnsChecks, domains, environments, type DomainStatus, type Role } from "@/db/schema";
import { cloneUrl } from "@/lib/applications/repository";
import { can } from "@/lib/auth/permissions";
import { expectedRecords } from "@/lib/domains/records";
import { summariseEnvironment } from "@/lib/domains/summary";
import { claimInstructions, claimRecord, type DomainClaimRow } from "@/lib/edge/claims";
import type {
  accountSchema,
  applicationSchema,
  applicationSummarySchema,
  domainCheckSchema,
  domainClaimSchema,
  domainDetailSchema,
  domainSummarySchema,
  environmentSummarySchema,
} from "./schemas";
import type { AccountRow, ApplicationRow, DnsCheckRow, DomainRow, EnvironmentRow } from "@/db/types";

// Database rows → the API's resource shapes (lib/api/schemas). Reads only.

type CheckRow = DnsCheckRow;

/** API paths of resources (the `href` fields). */
export const hrefs = {
  account: (a: number) => `/api/v1/account/${a}`,
  application: (a: number, app: number) => `/api/v1/account/${a}/application/${app}`,
  environment: (a: number, app: number, name: string) => `/api/v1/account/${a}/application/${app}/environment/${encodeURIComponent(name)}`,
};

const iso = (d: Date) => d.toISOString();

/**
 * An account as the token's user sees it (their role); `blocked` when it requires two-factor authentication and
 * they have not turned it on (docs/product.md §3.2; the same rule as lib/auth/access `lookupAccount`).
 */
export function toAccount(
  account: Pick<AccountRow, "id" | "name" | "requireTwoFactor" | "createdAt">,
  role: Role,
  blocked: boolean,
): z.infer<typeof accountSchema> {
  return {
    id: account.id,
    href: hrefs.account(account.id),
    account_name: account.name,
    is_admin: can(role, "members.manage"),
    requires_2fa: account.requireTwoFactor,
    blocked,
    role,
    created_at: iso(account.createdAt),
  };
}

/** Production's domains of these applications (hostname, status), by application id. */
async function productionDomains(applicationIds: number[]): Promise<Map<number, { hostname: string; status: DomainStatus }[]>> {
  const out = new Map<number, { hostname: string; status: DomainStatus }[]>();
  if (applicationIds.length === 0) return out;
  const rows = await getDb()
    .select({ applicationId: domains.applicationId, hostname: domains.hostname, status: domains.status })
    .from(domains)
    .innerJoin(environments, eq(environments.id, domains.environmentId))
    .where(and(inArray(domains.applicationId, applicationIds), eq(environments.name, "Production")))
    .orderBy(asc(domains.id));
  for (const r of rows)
    out.set(r.applicationId, [...(out.get(r.applicationId) ?? []), { hostname: r.hostname, status: r.status as DomainStatus }]);
  return out;
}

/** Application summaries (Production's hostnames and go-live status) for a list of rows. */
export async function toApplicationSummaries(apps: ApplicationRow[]): Promise<z.infer<typeof applicationSummarySchema>[]> {
  const byApp = await productionDomains(apps.map((a) => a.id));
  return apps.map((app) => {
    const own = byApp.get(app.id) ?? [];
    return {
      id: app.id,
      href: hrefs.application(app.accountId, app.id),
      application_name: app.name,
      stack: app.stackId,
      hostnames: own.map((d) => d.hostname),
      status: summariseEnvironment(own.map((d) => d.status)).status,
      created_at: iso(app.createdAt),
    };
  });
}

/** One application with its clone URL and environments. */
export async function toApplication(app: ApplicationRow): Promise<z.infer<typeof applicationSchema>> {
  const envs = await getDb()
    .select()
    .from(environments)
    .where(eq(environments.applicationId, app.id))
    .orderBy(sql`${environments.name} <> 'Production'`, asc(environments.name));
  return {
    ...(await toApplicationSummaries([app]))[0],
    clone_url: cloneUrl(app),
    environments: envs.map((e) => ({ id: e.id, environment_name: e.name })),
  };
}

/** A page of an account's applications by id (keyset: ids after `after`), `limit + 1` rows to tell if more follow. */
export async function applicationsPage(accountId: number, after: number, limit: number): Promise<ApplicationRow[]> {
  return getDb()
    .select()
    .from(applications)
    .where(and(eq(applications.accountId, accountId), gt(applications.id, after)))
    .orderBy(asc(applications.id))
    .limit(limit + 1);
}

/** A domain in Section's `DomainSummary` shape plus its status. */
export function toDomainSummary(domain: DomainRow): z.infer<typeof domainSummarySchema> {
  return {
    name: domain.hostname,
    cname: expectedRecords(domain).cnameTarget,
    name_unicode: domain.hostnameUnicode,
    is_apex: domain.isApex,
    status: domain.status as DomainStatus,
    last_checked_at: domain.lastCheckedAt ? iso(domain.lastCheckedAt) : null,
  };
}

/** A stored check with what it found. */
export function toCheck(check: CheckRow): z.infer<typeof domainCheckSchema> {
  const records = (check.records ?? {}) as { chain?: string[]; a?: string[]; aaaa?: string[]; txt?: string[]; explanation?: string };
  return {
    id: check.id,
    checked_at: iso(check.checkedAt),
    outcome: check.outcome as DomainStatus,
    status: check.status as DomainStatus,
    reason: check.reason,
    found: {
      chain: records.chain ?? [],
      a: records.a ?? [],
      aaaa: records.aaaa ?? [],
      txt: records.txt ?? [],
      explanation: records.explanation ?? "",
    },
    resolver: check.resolver,
    duration_ms: check.durationMs,
    error_code: check.errorCode,
  };
}

/** A domain with the records to create, and its latest check (what was found). */
export async function toDomainDetail(domain: DomainRow): Promise<z.infer<typeof domainDetailSchema>> {
  const db = getDb();
  const env = await first(db.select({ name: environments.name }).from(environments).where(eq(environments.id, domain.environmentId)));
  const last = await first(
    db.select().from(dnsChecks).where(eq(dnsChecks.domainId, domain.id)).orderBy(desc(dnsChecks.checkedAt), desc(dnsChecks.id)).limit(1),
  );
  const expected = expectedRecords(domain);
  return {
    ...toDomainSummary(domain),
    environment_name: env?.name ?? "",
    application_id: domain.applicationId,
    ownership_required: domain.ownershipRequired,
    records: expected.records,
    alternative_records: expected.alternatives,
    last_check: last ? toCheck(last) : null,
  };
}

/** A page of a domain's checks, newest first (keyset: ids before `before`), `limit + 1` rows. */
export async function checksPage(domainId: number, before: number | null, limit: number): Promise<CheckRow[]> {
  return getDb()
    .select()
    .from(dnsChecks)
    .where(before === null ? eq(dnsChecks.domainId, domainId) : and(eq(dnsChecks.domainId, domainId), lt(dnsChecks.id, before)))
    .orderBy(desc(dnsChecks.id))
    .limit(limit + 1);
}

/** The domains of an environment, oldest first. */
export async function domainsOfEnvironment(environmentId: number): Promise<DomainRow[]> {
  return getDb().select().from(domains).where(eq(domains.environmentId, environmentId)).orderBy(asc(domains.id));
}

/** An environment in Section's `EnvironmentSummary` shape plus its go-live summary. */
export async function toEnvironmentSummary(env: EnvironmentRow): Promise<z.infer<typeof environmentSummarySchema>> {
  const own = await domainsOfEnvironment(env.id);
  return {
    id: env.id,
    href: hrefs.environment(env.accountId, env.applicationId, env.name),
    environment_name: env.name,
    domains: own.map(toDomainSummary),
    status: summariseEnvironment(own.map((d) => d.status as DomainStatus)),
    created_at: iso(env.createdAt),
  };
}

/** A claim as the API shows it (lib/api/schemas `domainClaimSchema`): its TXT record and what it does. */
export function toDomainClaim(claim: DomainClaimRow): z.infer<typeof domainClaimSchema> {
  return {
    status: "claimed",
    hostname: claim.hostname,
    detail: claimInstructions(claim),
    record: claimRecord(claim),
    created_at: claim.createdAt.toISOString(),
  };
}
