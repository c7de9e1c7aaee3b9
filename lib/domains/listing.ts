import "server-only";
import { and, asc, desc, eq, gt, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { getDb, first } from "@/db";
import { applications, dnsChecks, domains, environments, DOMAIN_STATUSES, type DomainStatus } from "@/db/schema";
import { normaliseHostnamePrefix } from "@/lib/ops/filters";
import { MAX_HOSTNAME_LENGTH } from "@/lib/hostname";
import type { EnvironmentStatus } from "./summary";
import type { ApplicationRow, DnsCheckRow, DomainRow, EnvironmentRow } from "@/db/types";

// Reads of the pages whose size grows with the data (the application page, the account home): a keyset page of an
// environment's domains by hostname, and go-live summaries from per-status counts made by SQL (docs/product.md §3.4)
// with only the first few hostnames for display. No read here loads every domain of an environment or an account.

/** Domains per page of an environment's domain list. */
export const DOMAIN_PAGE_SIZE = 25;
/** Hostnames shown next to an application or environment in lists (the rest as "+N more"). */
export const HOSTNAMES_SHOWN = 3;

/** Domains per go-live status. */
export type StatusCounts = Record<DomainStatus, number>;

/** Order of urgency among non-live statuses (as lib/domains/summary.ts): the first one present describes the whole. */
const URGENCY: DomainStatus[] = ["misconfigured", "nxdomain", "error", "pending"];
const LABELS: Record<DomainStatus, string> = {
  pending: "Pending",
  live: "Live",
  misconfigured: "Misconfigured",
  nxdomain: "Not found",
  error: "DNS error",
};

/**
 * The go-live status of an environment from its domains' counts per status (docs/product.md §3.4): the same answer
 * as `summariseEnvironment` on the list of statuses — Live when all are live, "Partly live (n/m)" when some are,
 * else the most urgent status present, "No domains" when there are none.
 */
export function summariseCounts(counts: Partial<StatusCounts>): EnvironmentStatus {
  const live = counts.live ?? 0;
  const total = DOMAIN_STATUSES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  if (total === 0) return { status: "none", label: "No domains", live, total };
  if (live === total) return { status: "live", label: "Live", live, total };
  if (live > 0) return { status: "misconfigured", label: `Partly live (${live}/${total})`, live, total };
  const worst = URGENCY.find((s) => (counts[s] ?? 0) > 0) ?? "pending";
  return { status: worst, label: LABELS[worst], live, total };
}

/** Counts per environment and status for the environments `environmentIds`, in one grouped query. */
async function countsByEnvironment(where: SQL): Promise<Map<number, Partial<StatusCounts>>> {
  const rows = await getDb()
    .select({ environmentId: domains.environmentId, status: domains.status, n: sql<number>`count(*)` })
    .from(domains)
    .where(where)
    .groupBy(domains.environmentId, domains.status);
  const out = new Map<number, Partial<StatusCounts>>();
  for (const row of rows) {
    const counts = out.get(row.environmentId) ?? {};
    counts[row.status] = Number(row.n);
    out.set(row.environmentId, counts);
  }
  return out;
}

/** The first `limit` hostnames (Unicode form, oldest first) of an environment: one index range. */
async function firstHostnames(environmentId: number, limit: number): Promise<string[]> {
  const rows = await getDb()
    .select({ hostname: domains.hostnameUnicode })
    .from(domains)
    .where(eq(domains.environmentId, environmentId))
    .orderBy(asc(domains.id))
    .limit(limit);
  return rows.map((r) => r.hostname);
}

/** An environment with its go-live summary and its first hostnames (`status.total` says how many there are). */
export type EnvironmentOverview = EnvironmentRow & { status: EnvironmentStatus; hostnames: string[] };

/**
 * The environments of an application, Production first then by name, each with its go-live summary from counts per
 * status and its first HOSTNAMES_SHOWN hostnames (Unicode, oldest first). Cost: one grouped count over the
 * application's domains and one short index range per environment; no domain rows are loaded.
 */
export async function listEnvironmentOverviews(params: { applicationId: number }): Promise<EnvironmentOverview[]> {
  const envs = await getDb()
    .select()
    .from(environments)
    .where(eq(environments.applicationId, params.applicationId))
    .orderBy(sql`${environments.name} <> 'Production'`, asc(environments.name));
  const counts = await countsByEnvironment(eq(domains.applicationId, params.applicationId));
  return Promise.all(
    envs.map(async (env) => ({
      ...env,
      status: summariseCounts(counts.get(env.id) ?? {}),
      hostnames: await firstHostnames(env.id, HOSTNAMES_SHOWN),
    })),
  );
}

/** An application of the account home: its go-live status (its Production environment's) and first hostnames. */
export type ApplicationOverview = ApplicationRow & { goLive: EnvironmentStatus; hostnames: string[] };

/**
 * The account's applications by name, each with its go-live status (its Production environment's, docs/product.md
 * §3.4) from counts per status made by SQL, and its first HOSTNAMES_SHOWN Production hostnames (A-labels, oldest
 * first). Cost: the applications, one grouped count, one short index range per application.
 */
export async function listApplicationOverviews(params: { accountId: number }): Promise<ApplicationOverview[]> {
  const db = getDb();
  const apps = await db.select().from(applications).where(eq(applications.accountId, params.accountId)).orderBy(asc(applications.name));
  if (apps.length === 0) return [];
  const production = await db
    .select({ id: environments.id, applicationId: environments.applicationId })
    .from(environments)
    .where(and(eq(environments.accountId, params.accountId), eq(environments.name, "Production")));
  const productionOf = new Map(production.map((e) => [e.applicationId, e.id]));
  const ids = production.map((e) => e.id);
  const counts = ids.length ? await countsByEnvironment(inArray(domains.environmentId, ids)) : new Map<number, Partial<StatusCounts>>();
  return Promise.all(
    apps.map(async (app) => {
      const envId = productionOf.get(app.id);
      const hostnames =
        envId === undefined
          ? []
          : (
              await db
                .select({ hostname: domains.hostname })
                .from(domains)
                .where(eq(domains.environmentId, envId))
                .orderBy(asc(domains.id))
                .limit(HOSTNAMES_SHOWN)
            ).map((r) => r.hostname);
      return { ...app, goLive: summariseCounts(envId === undefined ? {} : (counts.get(envId) ?? {})), hostnames };
    }),
  );
}

/** Where a page of an environment's domains starts: a hostname prefix and a keyset cursor (`after` wins over `before`). */
export type DomainPageQuery = {
  environmentId: number;
  /** Lower-case A-label prefix of the hostname ("" = any). */
  prefix: string;
  after: string | null;
  before: string | null;
};

/** A page of an environment's domains in hostname order, whether more exist either side, and how many match. */
export type DomainPage = { rows: DomainRow[]; hasPrevious: boolean; hasNext: boolean; matching: number };

type Params = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";
/** A cursor is a stored hostname: ASCII, at most 253 characters; anything else is dropped (first page). */
const cursor = (raw: string) => (raw && raw.length <= MAX_HOSTNAME_LENGTH && /^[a-z0-9.-]+$/.test(raw) ? raw : null);

/**
 * Parses the application page's search params: `q` (a hostname prefix, normalised like /ops: trimmed, lower-case,
 * a pasted URL's host, Unicode → A-labels; see `normaliseHostnamePrefix`), `after` / `before` (keyset cursors).
 * A malformed search gets a message in `error` and is not applied. Pure.
 */
export function parseDomainPageParams(params: Params): {
  prefix: string;
  after: string | null;
  before: string | null;
  q: string;
  error?: string;
} {
  const q = one(params.q);
  const searched = q.trim() ? normaliseHostnamePrefix(q) : { prefix: "" };
  const after = cursor(one(params.after));
  return {
    prefix: "prefix" in searched ? searched.prefix : "",
    after,
    before: after ? null : cursor(one(params.before)),
    q,
    ...("error" in searched ? { error: searched.error } : {}),
  };
}

/** The conditions of an environment's domains under a prefix, without the cursor. */
function pageConditions(query: Omit<DomainPageQuery, "after" | "before">): SQL[] {
  const where: SQL[] = [eq(domains.environmentId, query.environmentId)];
  // Every stored (ASCII) hostname starting with `prefix` sorts below `prefix + U+FFFF`.
  if (query.prefix) where.push(gte(domains.hostname, query.prefix), lt(domains.hostname, query.prefix + "\uffff"));
  return where;
}

/**
 * One page (default DOMAIN_PAGE_SIZE) of an environment's domains under a hostname prefix, in hostname (A-label)
 * order. Keyset pagination: pass the last hostname of a page as `after` for the next page, the first as `before`
 * for the previous one. Cost: `pageSize + 1` rows, one probe per direction and one count of the matching domains.
 */
export async function listEnvironmentDomainPage(query: DomainPageQuery, pageSize: number = DOMAIN_PAGE_SIZE): Promise<DomainPage> {
  const db = getDb();
  const where = pageConditions(query);
  if (query.after) where.push(gt(domains.hostname, query.after));
  if (query.before) where.push(lt(domains.hostname, query.before));
  const fetched = await db
    .select()
    .from(domains)
    .where(and(...where))
    .orderBy(query.before ? desc(domains.hostname) : asc(domains.hostname))
    .limit(pageSize + 1);
  const more = fetched.length > pageSize;
  const rows = fetched.slice(0, pageSize);
  if (query.before) rows.reverse();
  const beyond = async (side: "before" | "after", hostname: string) =>
    !!(await first(
      db
        .select({ id: domains.id })
        .from(domains)
        .where(and(...pageConditions(query), side === "before" ? lt(domains.hostname, hostname) : gt(domains.hostname, hostname)))
        .limit(1),
    ));
  let hasPrevious: boolean;
  let hasNext: boolean;
  if (rows.length === 0) {
    hasPrevious = !!query.after;
    hasNext = !!query.before;
  } else if (query.before) {
    hasPrevious = more;
    hasNext = await beyond("after", rows[rows.length - 1].hostname);
  } else {
    hasNext = more;
    hasPrevious = !!query.after && (await beyond("before", rows[0].hostname));
  }
  const counted = await first(
    db
      .select({ n: sql<number>`count(*)` })
      .from(domains)
      .where(and(...pageConditions(query))),
  );
  return { rows, hasPrevious, hasNext, matching: Number(counted?.n ?? 0) };
}

/**
 * The newest go-live check of each of `domainIds` (a page of domains), by domain id, in one query: one probe of the
 * (domain_id, checked_at) index per domain. Domains never checked have no entry.
 */
export async function listLatestChecks(domainIds: number[]): Promise<Map<number, DnsCheckRow>> {
  if (domainIds.length === 0) return new Map();
  const ids = sql.join(
    domainIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const rows = await getDb()
    .select()
    .from(dnsChecks)
    .where(
      inArray(
        dnsChecks.id,
        sql`(select (select c.id from dns_checks c where c.domain_id = d.id order by c.checked_at desc, c.id desc limit 1)
             from domains d where d.id in (${ids}))`,
      ),
    );
  return new Map(rows.map((c) => [c.domainId, c]));
}
