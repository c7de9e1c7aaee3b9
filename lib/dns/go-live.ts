import { settings } from "@/lib/config";
import { and, inArray, isNull, lte, or, sql, type Column, type SQL } from "drizzle-orm";
import { databaseErrorCode, dialect, execute, getDb, rowsOf, writeTransaction } from "@/db";
import { auditEvents, dnsChecks, domains } from "@/db/schema";
import type { DomainStatus } from "@/db/schema";
import { classify, type Classification, type Expected } from "./classify";
import { observe, type Observation } from "./observe";
import { createResolver, describeResolver, type Resolver } from "./resolver";
import { mailFlaggedDomain } from "./flag-mail";
import { checkStatements } from "./statements";
import type { DnsCheckRow, DomainRow } from "@/db/types";
import { recordOwnershipProof } from "@/lib/edge/ownership";
import { countGoLiveCheck } from "@/lib/metrics";

export { classify, type CheckReason, type Classification, type Expected } from "./classify";
export { observe, challengeName, type Observation } from "./observe";

/** A stored go-live check (`dns_checks` row). */
export type { DnsCheckRow };
/** The `records` JSON of a check: what was found, plus the sentence shown next to it. */
export type CheckRecords = {
  chain: string[];
  a: string[];
  aaaa: string[];
  txt: string[];
  ttl?: number;
  explanation: string;
  /**
   * Set on a check someone asked for — "Verify now" on the page, `verifyEngaged` in the API, the /ops bulk check —
   * and absent on the background re-checks: only the former count towards the 10 s limit of "Verify now".
   */
  verifyNow?: true;
};

/** Checks kept per domain; older ones are pruned (docs/product.md §3.5). */
export const CHECKS_KEPT = 50;
/**
 * "Verify now" may run once per this many milliseconds per domain (docs/product.md §3.5). Only checks someone asked
 * for count: a background re-check never makes a click wait (see `claimDomain`).
 */
export const VERIFY_NOW_INTERVAL_MS = 10_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What a domain row must resolve to, from the settings (`EDGE_CNAME_SUFFIX`, `EDGE_IPV4`, `EDGE_IPV6`). */
export function expectedFor(domain: Pick<DomainRow, "hostname" | "isApex" | "ownershipRequired" | "verificationToken">): Expected {
  const s = settings();
  return {
    hostname: domain.hostname,
    cnameTarget: `${domain.hostname}.${s.edgeCnameSuffix}`,
    edgeIpv4: s.edgeIpv4,
    edgeIpv6: s.edgeIpv6,
    ownershipToken: domain.ownershipRequired ? domain.verificationToken : null,
    isApex: domain.isApex,
  };
}

/**
 * Status after a check: the outcome, except that a transient `error` never replaces a known status
 * (live / misconfigured / nxdomain); `pending` and `error` become `error` (docs/product.md §3.5).
 */
export function statusAfter(previous: DomainStatus, outcome: DomainStatus): DomainStatus {
  if (outcome !== "error") return outcome;
  return previous === "pending" || previous === "error" ? "error" : previous;
}

/**
 * Milliseconds until the next background check (docs/product.md §3.5): live → uniformly 12–24 h; error → 1 min doubling per
 * consecutive failure up to 15 min; pending/misconfigured/nxdomain → 1 min doubling up to 1 h. `failureStreak` is
 * the count of consecutive non-live checks including this one; non-live delays get ±10 % jitter from `random`.
 */
export function nextCheckDelayMs(outcome: DomainStatus, failureStreak: number, random: () => number = Math.random): number {
  if (outcome === "live") return 12 * HOUR + random() * 12 * HOUR;
  const cap = outcome === "error" ? 15 * MINUTE : HOUR;
  const base = Math.min(cap, MINUTE * 2 ** Math.min(Math.max(failureStreak - 1, 0), 20));
  return Math.round(base * (0.9 + 0.2 * random()));
}

/**
 * Whether a domain's last check, whatever started it, is at least 10 s before `now` (or it was never checked). "Verify
 * now" itself decides with `checkDomain(id, { verifyNow: true })`, where a background check does not count.
 */
export function canVerifyNow(domain: Pick<DomainRow, "lastCheckedAt">, now: Date = new Date()): boolean {
  return !domain.lastCheckedAt || now.getTime() - domain.lastCheckedAt.getTime() >= VERIFY_NOW_INTERVAL_MS;
}

/**
 * Whether `hostname` already resolves to the edge (its chain reaches the CNAME target, or it has only edge
 * addresses), for deciding when a new domain must prove ownership (docs/product.md §3.5). Resolves through `resolver`
 * (default: from the settings). NXDOMAIN, NODATA, misconfiguration and transient errors all give false.
 */
export async function resolvesToEdge(hostname: string, resolver: Resolver = createResolver()): Promise<boolean> {
  const expected = expectedFor({ hostname, isApex: false, ownershipRequired: false, verificationToken: "" });
  const observation = await observe(hostname, resolver, { stopAt: [expected.cnameTarget] });
  return classify(observation, expected).outcome === "live";
}

/**
 * A "Verify now" refused because another one ran less than 10 s before: when that check ran, the status it left, and
 * when the next "Verify now" may run.
 */
export type TooSoon = { skipped: "too-soon"; lastCheckedAt: Date; status: DomainStatus; retryAt: Date };

/** Result of `checkDomain`. `flaggedNow` is true when this check flagged the domain (live → not live: mail the admins). */
export type CheckDomainResult =
  | { skipped: "in-progress" | "not-found" | "not-due" }
  | TooSoon
  | {
      skipped?: undefined;
      check: DnsCheckRow;
      status: DomainStatus;
      previousStatus: DomainStatus;
      changed: boolean;
      flaggedNow: boolean;
      classification: Classification;
      observation: Observation;
    };

/** How long a checker holds a domain: well beyond the slowest possible check (10 sequential queries, all retries). */
export function leaseMs(): number {
  const s = settings();
  return 10 * s.dnsTimeoutMs * 2 ** s.dnsTries + 30_000;
}

/**
 * A domain held by one checker: its row as claimed, the lease time that marks the hold as ours, and whether someone
 * asked for this check ("Verify now").
 */
export type DomainClaim = { domain: DomainRow; leaseUntil: Date; verifyNow: boolean };

/**
 * Claims domain `domainId`: sets its lease to `leaseUntil` unless another checker holds it (`in-progress`), it is
 * gone (`not-found`) or, with `dueOnly`, its `nextCheckAt` is after `now` (`not-due`). With `verifyNow` (a check
 * someone asked for), it is refused as `too-soon` when the domain's last check was itself a "Verify now" less than
 * 10 s before `now` (docs/product.md §3.5); a background check just before does not count, so a click right after
 * one runs. Call it inside a `writeTransaction` (BEGIN IMMEDIATE), so two checkers never both claim a domain and two
 * clicks never both pass the 10 s limit.
 */
export async function claimDomain(
  domainId: number,
  params: { now: Date; leaseUntil: Date; dueOnly?: boolean; verifyNow?: boolean },
): Promise<DomainClaim | TooSoon | { skipped: "in-progress" | "not-found" | "not-due" }> {
  const q = checkStatements();
  // PostgreSQL: lock the row first; a claim of it already in flight elsewhere holds the lock, so this one is
  // "in-progress" at once (SQLite's single writer orders claims by itself).
  if (dialect() === "postgres") {
    try {
      await execute(sql`select 1 from ${domains} where ${domains.id} = ${domainId} for update nowait`);
    } catch (error) {
      if (databaseErrorCode(error) === "55P03") return { skipped: "in-progress" }; // lock_not_available
      throw error;
    }
  }
  const row = await q.domain.get({ id: domainId });
  if (!row) return { skipped: "not-found" };
  if (row.leaseUntil && row.leaseUntil.getTime() > params.now.getTime()) return { skipped: "in-progress" };
  if (params.dueOnly && row.nextCheckAt && row.nextCheckAt.getTime() > params.now.getTime()) return { skipped: "not-due" };
  if (params.verifyNow && !canVerifyNow(row, params.now)) {
    const last = await q.lastCheck.get({ domainId });
    if ((last?.records as CheckRecords | undefined)?.verifyNow) {
      const lastCheckedAt = row.lastCheckedAt!;
      return {
        skipped: "too-soon",
        lastCheckedAt,
        status: row.status,
        retryAt: new Date(lastCheckedAt.getTime() + VERIFY_NOW_INTERVAL_MS),
      };
    }
  }
  await q.lease.run({ id: domainId, leaseUntil: params.leaseUntil.getTime() });
  return { domain: { ...row, leaseUntil: params.leaseUntil }, leaseUntil: params.leaseUntil, verifyNow: params.verifyNow ?? false };
}

/**
 * `column IN (ids)`: on PostgreSQL `column = any($1::bigint[])`, one parameter for any number of ids (Drizzle builds
 * `inArray` one parameter at a time, which a sweep's 500-id statements paid for in CPU); on SQLite `inArray`.
 */
function idIn(column: Column, ids: readonly number[]): SQL {
  return dialect() === "postgres" ? sql`${column} = any(${sql.param([...ids])}::bigint[])` : inArray(column, [...ids]);
}

/**
 * PostgreSQL: locks the domain rows of `ids` (FOR UPDATE, in id order: the order an application's deletion locks its
 * domains in, so the two wait for each other instead of deadlocking) until the caller's transaction ends. Rows
 * already gone are skipped. SQLite: nothing (the single writer). Call it inside a `writeTransaction`.
 */
export async function lockDomainRows(ids: readonly number[]): Promise<void> {
  if (dialect() !== "postgres" || ids.length === 0) return;
  await execute(sql`select 1 from ${domains} where ${idIn(domains.id, ids)} order by ${domains.id} for update`);
}

/**
 * Claims the domains of `ids` that are free (no lease, or one that ran out by `now`) and, with `dueOnly`, due at
 * `now`, in ONE statement: `UPDATE domains SET lease_until … WHERE id IN (SELECT id … [FOR UPDATE SKIP LOCKED])
 * RETURNING *`. On PostgreSQL the row locks make two checkers' claims disjoint, and a row another claim holds locked
 * is skipped rather than waited for; on SQLite the single writer serialises them. The others are answered
 * `in-progress`, `not-due` or `not-found` (one read of just those rows). Call it inside a write transaction.
 * Returns one entry per id, in the order of `ids`.
 */
export async function claimDomains(
  ids: readonly number[],
  params: { now: Date; leaseUntil: Date; dueOnly?: boolean },
): Promise<(DomainClaim | { skipped: "in-progress" | "not-found" | "not-due" })[]> {
  if (ids.length === 0) return [];
  const now = params.now;
  const free = or(isNull(domains.leaseUntil), lte(domains.leaseUntil, now));
  const due = params.dueOnly ? or(isNull(domains.nextCheckAt), lte(domains.nextCheckAt, now)) : undefined;
  const lockRows = dialect() === "postgres" ? sql` for update skip locked` : sql``;
  const rows = await getDb()
    .update(domains)
    .set({ leaseUntil: params.leaseUntil })
    .where(inArray(domains.id, sql`(select ${domains.id} from ${domains} where ${and(idIn(domains.id, ids), free, due)}${lockRows})`))
    .returning();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const missing = ids.filter((id) => !byId.has(id));
  const others = missing.length
    ? new Map(
        (
          await getDb()
            .select({ id: domains.id, leaseUntil: domains.leaseUntil, nextCheckAt: domains.nextCheckAt })
            .from(domains)
            .where(idIn(domains.id, missing))
        ).map((row) => [row.id, row]),
      )
    : new Map();
  return ids.map((id) => {
    const row = byId.get(id);
    if (row) return { domain: row, leaseUntil: params.leaseUntil, verifyNow: false };
    const other = others.get(id);
    if (!other) return { skipped: "not-found" as const };
    if (other.leaseUntil && other.leaseUntil.getTime() > now.getTime()) return { skipped: "in-progress" as const };
    if (params.dueOnly && other.nextCheckAt && other.nextCheckAt.getTime() > now.getTime()) return { skipped: "not-due" as const };
    return { skipped: "in-progress" as const }; // free and due, yet not claimed: another claim holds its row locked
  });
}

/** Releases a claim (after a failed observation) unless another checker has taken the domain since. Call it inside a `writeTransaction`. */
export async function releaseClaim(claim: DomainClaim): Promise<void> {
  await checkStatements().release.run({ id: claim.domain.id, lease: claim.leaseUntil.getTime() });
}

/** What one go-live check found about a claimed domain, before it is stored (see `observeClaim`, `storeCheck`). */
export type ObservedCheck = { observation: Observation; classification: Classification; durationMs: number; resolverName: string };

/**
 * Observes and classifies a claimed domain through `resolver` (docs/product.md §3.5). Never rejects for DNS reasons (they are
 * part of the observation); rejects only when the resolver itself cannot be used.
 */
export async function observeClaim(claim: DomainClaim, resolver: Resolver): Promise<ObservedCheck> {
  const expected = expectedFor(claim.domain);
  const resolverName = describeResolver(resolver);
  const started = performance.now();
  const observation = await observe(claim.domain.hostname, resolver, { stopAt: [expected.cnameTarget] });
  const durationMs = Math.round(performance.now() - started);
  return { observation, classification: classify(observation, expected), durationMs, resolverName };
}

/** What storing one observed check writes, decided from the domain row as it is when stored (see `storeCheck`). */
type StorePlan = {
  row: DomainRow;
  status: DomainStatus;
  flagged: boolean;
  failureStreak: number;
  nextCheckAt: number;
  check: Omit<typeof dnsChecks.$inferInsert, "id">;
};

/** The check row and the domain's next state for one observed check of `row` at `now` (docs/product.md §3.5). */
function planStore(row: DomainRow, claim: DomainClaim, observed: ObservedCheck, now: Date): StorePlan {
  const { observation, classification } = observed;
  const records: CheckRecords = {
    chain: observation.chain,
    a: observation.a,
    aaaa: observation.aaaa,
    txt: observation.txt,
    ...(observation.ttl === null ? {} : { ttl: observation.ttl }),
    explanation: classification.explanation,
    ...(claim.verifyNow ? { verifyNow: true as const } : {}),
  };
  const { outcome, reason } = classification;
  const status = statusAfter(row.status, outcome);
  const flagged = status === "live" ? false : row.status === "live" ? true : row.flagged;
  const failureStreak = outcome === "live" ? 0 : row.failureStreak + 1;
  return {
    row,
    status,
    flagged,
    failureStreak,
    nextCheckAt: Math.trunc(now.getTime() + nextCheckDelayMs(outcome, failureStreak)), // whole ms, as a Date stores it
    check: {
      domainId: row.id,
      checkedAt: now,
      outcome,
      status,
      reason,
      records,
      resolver: observed.resolverName,
      durationMs: observed.durationMs,
      errorCode: observation.errorCode ?? (outcome === "error" ? observation.txtErrorCode : null),
    },
  };
}

/** The result of a stored check, from its plan and the `dns_checks` row written. */
function storedResult(plan: StorePlan, check: DnsCheckRow, observed: ObservedCheck): CheckDomainResult {
  const previousStatus = plan.row.status;
  return {
    check,
    status: plan.status,
    previousStatus,
    changed: plan.status !== previousStatus,
    flaggedNow: plan.flagged && !plan.row.flagged,
    classification: observed.classification,
    observation: observed.observation,
  };
}

/**
 * Stores one observed check of a claimed domain (docs/product.md §3.5): inserts the `dns_checks` row; updates status (a
 * transient error keeps a known status), lastCheckedAt, lastSuccessAt, flagged (set on live → not live, cleared on
 * live), failureStreak, nextCheckAt (backoff), and releases the lease when it is still ours; prunes checks beyond
 * the last 50; and on a status change writes a `domain.status` audit row by "Edge Console". `now` is the check
 * time. Call it inside a `writeTransaction`. Rejects only on database errors. `storeChecks` does the same for many.
 */
export async function storeCheck(claim: DomainClaim, observed: ObservedCheck, now: Date): Promise<CheckDomainResult> {
  const q = checkStatements();
  const domainId = claim.domain.id;
  // PostgreSQL: lock the row first (see storeChecks), so a deletion meanwhile makes this `not-found`, not a failure.
  await lockDomainRows([domainId]);
  const row = await q.domain.get({ id: domainId });
  if (!row) return { skipped: "not-found" };
  const plan = planStore(row, claim, observed, now);
  const check = (await q.insertCheck.get(plan.check))!;
  await q.updateAfterCheck.run({
    id: domainId,
    status: plan.status,
    now: now.getTime(),
    success: observed.classification.outcome === "error" ? 0 : 1,
    flagged: plan.flagged ? 1 : 0,
    failureStreak: plan.failureStreak,
    nextCheckAt: plan.nextCheckAt,
    lease: claim.leaseUntil.getTime(),
  });
  await recordOwnershipProof(row, observed.observation.txt, now); // docs/edge.md "Versions": the TXT proof, recorded once
  const cutoff = await q.cutoff.get({ domainId, offset: CHECKS_KEPT - 1 });
  if (cutoff) await q.prune.run({ domainId, id: cutoff.id });
  if (plan.status !== row.status) {
    await q.statusAudit.run({
      accountId: row.accountId,
      targetId: row.id,
      targetLabel: row.hostname,
      data: { from: row.status, to: plan.status, reason: observed.classification.reason },
      at: now,
    });
  }
  return storedResult(plan, check, observed);
}

/**
 * Inserts `dns_checks` rows (at most one per domain) and answers them as stored. On PostgreSQL one `INSERT … SELECT
 * FROM unnest(…)` with one array per column: 10 parameters whatever the count, where Drizzle's multi-row VALUES built
 * a statement of 9 parameters a row, which cost the sweeping process a quarter of its CPU time (profiled). SQLite
 * keeps Drizzle's insert (an in-process call).
 */
async function insertChecks(rows: readonly (typeof dnsChecks.$inferInsert)[]): Promise<DnsCheckRow[]> {
  if (dialect() !== "postgres")
    return getDb()
      .insert(dnsChecks)
      .values([...rows])
      .returning();
  // One parameter per column: sql.param keeps an array whole (a bare array would become one parameter per element).
  const column = <T>(pick: (row: typeof dnsChecks.$inferInsert) => T) => sql.param(rows.map(pick));
  const inserted = await rowsOf<{ id: string | number; domain_id: string | number }>(sql`
    insert into ${dnsChecks} (domain_id, checked_at, outcome, status, reason, records, resolver, duration_ms, error_code)
    select domain_id, checked_at, outcome, status, reason, records::jsonb, resolver, duration_ms, error_code
    from unnest(${column((r) => r.domainId)}::bigint[], ${column((r) => r.checkedAt.getTime())}::bigint[],
      ${column((r) => r.outcome)}::text[], ${column((r) => r.status)}::text[], ${column((r) => r.reason)}::text[],
      ${column((r) => JSON.stringify(r.records))}::text[], ${column((r) => r.resolver)}::text[],
      ${column((r) => r.durationMs)}::bigint[], ${column((r) => r.errorCode ?? null)}::text[])
      as v(domain_id, checked_at, outcome, status, reason, records, resolver, duration_ms, error_code)
    returning id, domain_id`);
  const byDomain = new Map(rows.map((row) => [row.domainId, row]));
  return inserted.map(({ id, domain_id }) => {
    const row = byDomain.get(Number(domain_id))!;
    return {
      id: Number(id),
      domainId: row.domainId,
      checkedAt: row.checkedAt,
      outcome: row.outcome,
      status: row.status,
      reason: row.reason,
      records: row.records,
      resolver: row.resolver,
      durationMs: row.durationMs,
      errorCode: row.errorCode ?? null,
    };
  });
}

/** Rows per multi-row statement of `storeChecks` (9 parameters a row: well under SQLite's 32,766 and PostgreSQL's 65,535). */
const STORE_ROWS_PER_STATEMENT = 500;

/**
 * Stores many observed checks, with exactly the effects of `storeCheck` for each (results in the order of `items`,
 * `{ skipped: "not-found" }` for a domain gone since its claim). `setBased` (default: on PostgreSQL) writes them with
 * a handful of statements per 500 checks instead of six per check: one read of the domain rows, one multi-row
 * INSERT … RETURNING of the checks, one UPDATE … FROM (VALUES …) of the domains, one DELETE of the checks beyond the
 * last 50 of every domain (a window function), one multi-row insert of the status audit rows — PostgreSQL's round
 * trips are what a sweep waits on there. On SQLite, where a statement is an in-process call, `storeCheck`'s
 * prepared statements one check at a time measured faster (docs/architecture.md "Data"). A domain that appears twice
 * is stored one check at a time (the second must see the first). Call it inside a `writeTransaction`. Rejects only
 * on database errors.
 */
export async function storeChecks(
  items: readonly { claim: DomainClaim; observed: ObservedCheck }[],
  now: Date,
  options: { setBased?: boolean } = {},
): Promise<CheckDomainResult[]> {
  const ids = items.map((item) => item.claim.domain.id);
  if (!(options.setBased ?? dialect() === "postgres") || new Set(ids).size !== ids.length) {
    const results: CheckDomainResult[] = [];
    for (const item of items) results.push(await storeCheck(item.claim, item.observed, now));
    return results;
  }
  const results: CheckDomainResult[] = new Array(items.length);
  for (let from = 0; from < items.length; from += STORE_ROWS_PER_STATEMENT) {
    const part = items.slice(from, from + STORE_ROWS_PER_STATEMENT);
    (await storeChecksOnce(part, now)).forEach((result, i) => (results[from + i] = result));
  }
  return results;
}

/** `storeChecks` for at most STORE_ROWS_PER_STATEMENT distinct domains. */
async function storeChecksOnce(items: readonly { claim: DomainClaim; observed: ObservedCheck }[], now: Date): Promise<CheckDomainResult[]> {
  if (items.length === 0) return [];
  const db = getDb();
  const ids = items.map((item) => item.claim.domain.id);
  // PostgreSQL, READ COMMITTED: lock the rows (in id order, as an application's deletion does) before reading them, so
  // a domain deleted meanwhile is either gone from the read (not-found) or waits for this store; without the lock its
  // check's insert failed on the foreign key and took the whole batch with it.
  await lockDomainRows(ids);
  const rows = new Map((await db.select().from(domains).where(idIn(domains.id, ids))).map((row) => [row.id, row]));
  const planned = items.flatMap((item) => {
    const row = rows.get(item.claim.domain.id);
    return row ? [{ item, plan: planStore(row, item.claim, item.observed, now) }] : [];
  });
  if (planned.length === 0) return items.map(() => ({ skipped: "not-found" as const }));

  // RETURNING's row order is not promised (SQLite says so): each check is matched to its domain by id.
  const checks = new Map((await insertChecks(planned.map(({ plan }) => plan.check))).map((check) => [check.domainId, check]));

  // One UPDATE … FROM the new values: on PostgreSQL one array per column through unnest (8 parameters), on SQLite
  // (≥ 3.33) a VALUES list whose values are cast.
  const v = {
    id: planned.map(({ plan }) => plan.row.id),
    status: planned.map(({ plan }) => plan.status),
    success: planned.map(({ item }) => (item.observed.classification.outcome === "error" ? 0 : 1)),
    flagged: planned.map(({ plan }) => (plan.flagged ? 1 : 0)),
    failureStreak: planned.map(({ plan }) => plan.failureStreak),
    nextCheckAt: planned.map(({ plan }) => plan.nextCheckAt),
    lease: planned.map(({ item }) => item.claim.leaseUntil.getTime()),
  };
  const source =
    dialect() === "postgres"
      ? sql`(select v.*, cast(${now.getTime()} as bigint) as now from unnest(${sql.param(v.id)}::bigint[], ${sql.param(v.status)}::text[],
          ${sql.param(v.success)}::integer[], ${sql.param(v.flagged)}::smallint[], ${sql.param(v.failureStreak)}::bigint[],
          ${sql.param(v.nextCheckAt)}::bigint[], ${sql.param(v.lease)}::bigint[])
          as v(id, status, success, flagged, failure_streak, next_check_at, lease))`
      : sql`(select column1 as id, column2 as status, column3 as success, column4 as flagged, column5 as failure_streak,
          column6 as next_check_at, column7 as lease, ${now.getTime()} as now from (values ${sql.join(
            v.id.map(
              (_, i) =>
                sql`(cast(${v.id[i]} as bigint), cast(${v.status[i]} as text), cast(${v.success[i]} as integer), cast(${v.flagged[i]} as smallint), cast(${v.failureStreak[i]} as bigint), cast(${v.nextCheckAt[i]} as bigint), cast(${v.lease[i]} as bigint))`,
            ),
            sql`, `,
          )}))`;
  await execute(sql`with v as ${source}
    update ${domains} set
      status = v.status,
      last_checked_at = v.now,
      last_success_at = case when v.success = 1 then v.now else ${domains}.last_success_at end,
      flagged = v.flagged,
      failure_streak = v.failure_streak,
      next_check_at = v.next_check_at,
      lease_until = case when ${domains}.lease_until = v.lease then null else ${domains}.lease_until end
    from v where ${domains}.id = v.id`);

  for (const { item, plan } of planned) {
    if (plan.row.ownershipRequired && !plan.row.ownershipProvenAt) await recordOwnershipProof(plan.row, item.observed.observation.txt, now);
  }

  // Keep each domain's newest CHECKS_KEPT checks (as `storeCheck`'s cutoff and prune do, for all at once).
  const plannedIds = planned.map(({ plan }) => plan.row.id);
  await execute(sql`delete from ${dnsChecks} where ${dnsChecks.id} in (
      select id from (
        select id, row_number() over (partition by domain_id order by id desc) as n
        from ${dnsChecks} where ${idIn(dnsChecks.domainId, plannedIds)}
      ) as ranked where n > ${CHECKS_KEPT}
    )`);

  const changed = planned.filter(({ plan }) => plan.status !== plan.row.status);
  if (changed.length > 0) {
    await db.insert(auditEvents).values(
      changed.map(({ item, plan }) => ({
        accountId: plan.row.accountId,
        actorUserId: null,
        actorName: "Edge Console",
        action: "domain.status",
        targetType: "domain",
        targetId: plan.row.id,
        targetLabel: plan.row.hostname,
        data: { from: plan.row.status, to: plan.status, reason: item.observed.classification.reason },
        createdAt: now,
      })),
    );
  }

  const byId = new Map(planned.map((p) => [p.plan.row.id, p]));
  return items.map((item) => {
    const p = byId.get(item.claim.domain.id);
    return p ? storedResult(p.plan, checks.get(p.plan.row.id)!, item.observed) : { skipped: "not-found" as const };
  });
}

/**
 * Runs the go-live check of one domain (docs/product.md §3.5): claims the domain's lease (a second concurrent call gets
 * `{ skipped: "in-progress" }`), observes its DNS through `resolver` (default: a new one from the settings),
 * classifies, then in one transaction stores the check (`storeCheck`: status, flag, backoff, pruning to 50, audit
 * row on a status change); when it flags the domain (live → not live), mails the account's owners and admins
 * (`mailFlaggedDomain`). `now` is the check time (default: the current time). With `dueOnly` (background
 * sweeps) a domain whose `nextCheckAt` is after `now` is skipped as `not-due`, decided in the claiming transaction,
 * so a domain another sweep has just checked is not checked again. With `verifyNow` (the page's "Verify now", the
 * API's `verifyEngaged`, /ops) the check is recorded as asked for, and refused as `too-soon` (with when the last one
 * ran and when the next may) within 10 s of the previous "Verify now" (`claimDomain`). Rejects only on database errors.
 */
export async function checkDomain(
  domainId: number,
  options: { resolver?: Resolver; now?: Date; dueOnly?: boolean; verifyNow?: boolean } = {},
): Promise<CheckDomainResult> {
  const now = options.now ?? new Date();
  const leaseUntil = new Date(now.getTime() + leaseMs());
  // READ COMMITTED on PostgreSQL, as a sweep's batches (lib/dns/batch.ts): the claim locks the domain's row first
  // (FOR UPDATE NOWAIT) and takes its lease, which keeps every other checker off the domain until the store. Run
  // SERIALIZABLE, a "Verify now" stored while creations and checks ran could run out of its retries (the soak
  // benchmark, docs/architecture.md "Data").
  const exclusive = { isolation: "read committed" } as const;
  const claim = await writeTransaction(
    () => claimDomain(domainId, { now, leaseUntil, dueOnly: options.dueOnly, verifyNow: options.verifyNow }),
    exclusive,
  );
  if ("skipped" in claim) return claim;
  let observed: ObservedCheck;
  try {
    observed = await observeClaim(claim, options.resolver ?? createResolver());
  } catch (error) {
    countGoLiveCheck("failed");
    await writeTransaction(() => releaseClaim(claim), exclusive);
    throw error;
  }
  const result = await writeTransaction(() => storeCheck(claim, observed, now), exclusive);
  if (!result.skipped) countGoLiveCheck(result.classification.outcome);
  if (!result.skipped && result.flaggedNow) await mailFlaggedDomain(domainId, result.check.records as CheckRecords);
  // A domain that just became live gets its certificate now rather than at the next sweep (docs/https.md "Scheduler").
  if (!result.skipped && result.changed && result.status === "live")
    void import("@/lib/https/scheduler").then(
      (m) => m.kickCertificateScheduler(),
      () => undefined,
    );
  return result;
}

/** One entry of `checkDomains`' result: the check, a skip, or an unexpected failure (message logged by the caller). */
export type BatchCheckResult = CheckDomainResult | { skipped: "failed"; error: string };

/**
 * Checks many domains with at most `concurrency` (default 8) checks in flight, sharing one resolver (default: one
 * from the settings). Results are in the order of `ids`; `onResult` is called as each finishes (for progress).
 * A failing check does not stop the others: it is reported as `{ skipped: "failed", error }`. `onStart` is called
 * as each check begins.
 */
export async function checkDomains(
  ids: number[],
  options: {
    concurrency?: number;
    resolver?: Resolver;
    now?: Date;
    /** Skip domains not due at `now` (see `checkDomain`). */
    dueOnly?: boolean;
    /** Checks someone asked for, under the 10 s limit of "Verify now" (see `checkDomain`). */
    verifyNow?: boolean;
    onStart?: (id: number) => void;
    onResult?: (id: number, result: BatchCheckResult) => void;
  } = {},
): Promise<BatchCheckResult[]> {
  const resolver = options.resolver ?? createResolver();
  const results: BatchCheckResult[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const index = next++;
      let result: BatchCheckResult;
      options.onStart?.(ids[index]);
      try {
        result = await checkDomain(ids[index], { resolver, now: options.now, dueOnly: options.dueOnly, verifyNow: options.verifyNow });
      } catch (error) {
        result = { skipped: "failed", error: error instanceof Error ? error.message : String(error) };
      }
      results[index] = result;
      options.onResult?.(ids[index], result);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, ids.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
