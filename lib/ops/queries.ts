import { and, asc, desc, eq, gt, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { dialect, execute, getDb, first, rowsOf, writeTransaction } from "@/db";
import { accounts, applications, domains, memberships, DOMAIN_STATUSES, type DomainStatus } from "@/db/schema";
import { OPS_PAGE_SIZE, type OpsFilter } from "./filters";

// Reads of the operator view `/ops` (docs/product.md §3.5). Every read costs the same whatever the size of `domains`: counts
// come from `domain_status_counts` (kept by triggers), pages are keyset ranges of one index ordered by hostname
// ((status, hostname), (flagged, hostname), (account_id, hostname) or the unique hostname index), and names are
// looked up by primary key for the rows of the page only.

/** Domains per status plus `flagged` (a subset of the non-live ones) and `total`, platform-wide. */
export type StatusCounts = Record<DomainStatus | "flagged" | "total", number>;

/**
 * The 6 rows (status, count) of the per-status domain counts: `domain_status_counts` plus the deltas not folded into
 * it yet (PostgreSQL's triggers append to `domain_status_deltas`, the leader folds them — foldDomainStatusDeltas; on
 * SQLite that table stays empty). The deltas are summed in one pass over their table (it has no index: every
 * status change appends to it), not once per status. Portable SQL, for raw readers.
 */
export const DOMAIN_STATUS_COUNTS_SQL =
  "SELECT c.status AS status, c.count + coalesce(d.delta, 0) AS count FROM domain_status_counts c " +
  "LEFT JOIN (SELECT status, sum(delta) AS delta FROM domain_status_deltas GROUP BY status) d ON d.status = c.status";

/** Per-status domain counts (6 rows; O(1) in the number of domains, plus the unfolded deltas on PostgreSQL). */
export async function getStatusCounts(): Promise<StatusCounts> {
  const counts = { pending: 0, live: 0, misconfigured: 0, nxdomain: 0, error: 0, flagged: 0, total: 0 } as StatusCounts;
  for (const row of await rowsOf<{ status: string; count: number }>(sql.raw(DOMAIN_STATUS_COUNTS_SQL))) {
    if (row.status in counts) counts[row.status as keyof StatusCounts] = row.count;
  }
  counts.total = DOMAIN_STATUSES.reduce((sum, s) => sum + counts[s], 0);
  return counts;
}

/**
 * Moves the unfolded rows of `domain_status_deltas` into `domain_status_counts` in one statement (PostgreSQL; the
 * leader runs it every minute: docs/architecture.md "Many instances"). Resolves to the number of statuses whose count
 * changed; 0 on SQLite, whose triggers update the counts directly. READ COMMITTED: the one statement moves exactly the
 * rows it deletes (a second fold at once waits on their row locks and skips them), and under SERIALIZABLE its read of
 * the whole table was a read-write dependency into every transaction adding a domain meanwhile, which made concurrent
 * creations abort each other (lib/ops/fold-serializable.test.ts).
 */
export async function foldDomainStatusDeltas(): Promise<number> {
  if (dialect() !== "postgres") return 0;
  return writeTransaction(
    () =>
      execute(sql`
      with moved as (delete from domain_status_deltas returning status, delta),
           summed as (select status, sum(delta) as n from moved group by status),
           updated as (update domain_status_counts c set count = c.count + s.n from summed s where c.status = s.status returning c.status)
      select status from updated`),
    { isolation: "read committed" },
  );
}

/** One row of the `/ops` table. */
export type OpsDomainRow = {
  id: number;
  hostname: string;
  hostnameUnicode: string;
  status: DomainStatus;
  flagged: boolean;
  lastCheckedAt: Date | null;
  accountId: number;
  accountName: string;
  applicationId: number;
  applicationName: string;
};

/** A page of `/ops`: rows in hostname order and whether rows exist before / after it under the same filter. */
export type OpsPage = { rows: OpsDomainRow[]; hasPrevious: boolean; hasNext: boolean };

/** Upper bound of a prefix range: every stored (ASCII) hostname starting with `prefix` sorts below it. */
const prefixEnd = (prefix: string) => prefix + "\uffff";

/** The WHERE conditions of a filter, without the cursor. */
export function filterConditions(filter: Omit<OpsFilter, "after" | "before">): SQL[] {
  const where: SQL[] = [];
  if (filter.flagged) where.push(eq(domains.flagged, true));
  else if (filter.status) where.push(eq(domains.status, filter.status));
  if (filter.accountId !== null) where.push(eq(domains.accountId, filter.accountId));
  if (filter.prefix) where.push(gte(domains.hostname, filter.prefix), lt(domains.hostname, prefixEnd(filter.prefix)));
  return where;
}

/**
 * The keyset query of one page (exported for the EXPLAIN QUERY PLAN test): domains only, `limit` rows from the
 * cursor — ascending after `after` (or from the start), descending before `before`.
 */
export function opsPageQuery(filter: OpsFilter, limit: number) {
  const where = filterConditions(filter);
  if (filter.after) where.push(gt(domains.hostname, filter.after));
  if (filter.before) where.push(lt(domains.hostname, filter.before));
  return getDb()
    .select({
      id: domains.id,
      hostname: domains.hostname,
      hostnameUnicode: domains.hostnameUnicode,
      status: domains.status,
      flagged: domains.flagged,
      lastCheckedAt: domains.lastCheckedAt,
      accountId: domains.accountId,
      applicationId: domains.applicationId,
    })
    .from(domains)
    .where(and(...where))
    .orderBy(filter.before ? desc(domains.hostname) : asc(domains.hostname))
    .limit(limit);
}

/** Whether any domain under the filter sorts strictly before (`"before"`) or after (`"after"`) `hostname`. */
async function anyBeyond(filter: OpsFilter, side: "before" | "after", hostname: string): Promise<boolean> {
  const where = [...filterConditions(filter), side === "before" ? lt(domains.hostname, hostname) : gt(domains.hostname, hostname)];
  return !!(await first(
    getDb()
      .select({ id: domains.id })
      .from(domains)
      .where(and(...where))
      .orderBy(side === "before" ? desc(domains.hostname) : asc(domains.hostname))
      .limit(1),
  ));
}

/**
 * One page (default 50 rows) of every domain of every account under `filter`, in hostname order, with its account
 * and application names. Keyset pagination: pass the last hostname of a page as `after` for the next page, the
 * first as `before` for the previous one. Cost: one index range of `pageSize + 1` rows, one index probe per
 * direction, and two primary-key lookups for the names — independent of the number of domains.
 */
export async function listOpsDomains(filter: OpsFilter, pageSize: number = OPS_PAGE_SIZE): Promise<OpsPage> {
  const fetched = await opsPageQuery(filter, pageSize + 1);
  const more = fetched.length > pageSize;
  const page = fetched.slice(0, pageSize);
  if (filter.before) page.reverse();
  let hasPrevious: boolean;
  let hasNext: boolean;
  if (page.length === 0) {
    hasPrevious = !!filter.after;
    hasNext = !!filter.before;
  } else if (filter.before) {
    hasPrevious = more;
    hasNext = await anyBeyond(filter, "after", page[page.length - 1].hostname);
  } else {
    hasNext = more;
    hasPrevious = !!filter.after && (await anyBeyond(filter, "before", page[0].hostname));
  }
  const db = getDb();
  const accountIds = [...new Set(page.map((r) => r.accountId))];
  const applicationIds = [...new Set(page.map((r) => r.applicationId))];
  const accountNames = new Map(
    accountIds.length
      ? (await db.select({ id: accounts.id, name: accounts.name }).from(accounts).where(inArray(accounts.id, accountIds))).map((a) => [
          a.id,
          a.name,
        ])
      : [],
  );
  const applicationNames = new Map(
    applicationIds.length
      ? (
          await db
            .select({ id: applications.id, name: applications.name })
            .from(applications)
            .where(inArray(applications.id, applicationIds))
        ).map((a) => [a.id, a.name])
      : [],
  );
  return {
    rows: page.map((r) => ({
      ...r,
      accountName: accountNames.get(r.accountId) ?? "",
      applicationName: applicationNames.get(r.applicationId) ?? "",
    })),
    hasPrevious,
    hasNext,
  };
}

/** The name of an account (for the "Account" filter's caption), or null when there is none with that id. */
export async function getAccountName(accountId: number): Promise<string | null> {
  return (await first(getDb().select({ name: accounts.name }).from(accounts).where(eq(accounts.id, accountId))))?.name ?? null;
}

/** Which of `accountIds` the user is a member of (to link application names only where the user may open them). */
export async function memberAccountIds(userId: number, accountIds: number[]): Promise<Set<number>> {
  if (accountIds.length === 0) return new Set();
  const rows = await getDb()
    .select({ accountId: memberships.accountId })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), inArray(memberships.accountId, accountIds)));
  return new Set(rows.map((r) => r.accountId));
}
