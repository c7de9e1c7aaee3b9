import { and, asc, isNull, lte, or } from "drizzle-orm";
import { getDb } from "@/db";
import { domains } from "@/db/schema";
import { settings } from "@/lib/config";
import { checkDueClaims } from "@/lib/edge/claims";
import { takeDailySnapshot } from "@/lib/ops/snapshots";
import { checkDomainsInBatches } from "./batch";
import { mailFlaggedDomain } from "./flag-mail";
import type { BatchCheckResult, CheckRecords } from "./go-live";
import type { Resolver } from "./resolver";
import { log } from "@/lib/log";
import { timeSweep } from "@/lib/metrics";
import { isLeader } from "@/lib/cluster/leader";
import { foldDomainStatusDeltas } from "@/lib/ops/queries";

// Background re-checks (docs/product.md §3.5): a sweep checks the domains that are due (their backoff, set by checkDomain, has
// run out, or they were never checked) and mails the owners and admins of each domain that stopped pointing at the
// edge. Sweeps run on a timer inside the console (instrumentation.ts) and in `npm run worker`; the lease taken by
// checkDomain means several sweeps — in one process or many — never check one domain at once.

/** Counts of one sweep. `skipped` holds domains another checker held or had just checked. */
export type SweepResult = { due: number; checked: number; skipped: number; failed: number; flagged: number[]; mailed: number };

/** Ids of domains due at `now` (nextCheckAt ≤ now or never set) whose lease is free, most overdue first, at most `limit`. */
export async function listDueDomainIds(params: { now: Date; limit: number }): Promise<number[]> {
  const rows = await getDb()
    .select({ id: domains.id })
    .from(domains)
    .where(
      and(
        or(isNull(domains.nextCheckAt), lte(domains.nextCheckAt, params.now)),
        or(isNull(domains.leaseUntil), lte(domains.leaseUntil, params.now)),
      ),
    )
    .orderBy(asc(domains.nextCheckAt), asc(domains.id))
    .limit(params.limit);
  return rows.map((r) => r.id);
}

/**
 * Runs one sweep: checks up to `limit` (default 1,000) due domains with at most `concurrency` (default 32) in
 * flight through `resolver` (default: from the settings), at time `now` (default: the current time), claiming and
 * storing them in batches of `batchSize` (default 500, `checkDomainsInBatches`), and mails each domain flagged by
 * this sweep to its account's owners and admins (a failed mail is logged, never thrown).
 */
export async function sweepDueDomains(
  options: { limit?: number; concurrency?: number; now?: Date; resolver?: Resolver; batchSize?: number } = {},
): Promise<SweepResult> {
  const now = options.now ?? new Date();
  const ids = await listDueDomainIds({ now, limit: options.limit ?? 1000 });
  const result: SweepResult = { due: ids.length, checked: 0, skipped: 0, failed: 0, flagged: [], mailed: 0 };
  if (ids.length === 0) return result;
  const outcomes = await checkDomainsInBatches(ids, {
    concurrency: options.concurrency ?? 32,
    batchSize: options.batchSize,
    resolver: options.resolver,
    now,
    dueOnly: true,
  });
  const flagged: { id: number; outcome: Extract<BatchCheckResult, { check: unknown }> }[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.skipped === "failed") {
      result.failed++;
      log.error({ domainId: ids[i] }, `[checker] check of domain #${ids[i]} failed: ${outcome.error}`);
    } else if (outcome.skipped) result.skipped++;
    else {
      result.checked++;
      if (outcome.flaggedNow) flagged.push({ id: ids[i], outcome });
    }
  });
  for (const { id, outcome } of flagged) {
    result.flagged.push(id);
    result.mailed += await mailFlaggedDomain(id, outcome.check.records as CheckRecords);
  }
  return result;
}

/** A running scheduler; `stop()` cancels the next sweep and resolves when a running one has finished. */
export type Scheduler = { stop: () => Promise<void> };

/**
 * A periodic job run in the scheduler's loop after a sweep, at most once per `intervalMs` (the first after one
 * interval): the console and `npm run worker` pass the leftovers check of lib/maintenance/leftovers.ts.
 */
export type MaintenanceJob = { name: string; intervalMs: number; run: () => Promise<void> };

/**
 * Runs `sweepDueDomains` every `intervalMs` (default `CHECK_INTERVAL_SECONDS` × 1000), one sweep at a time (the
 * next starts `intervalMs` after the previous ended), then updates today's `/ops` chart snapshot, checks the hostname
 * claims that are due (lib/edge/claims `checkDueClaims`), then runs the
 * `maintenance` job when its own interval has passed. The snapshot, the fold of PostgreSQL's status deltas and the
 * maintenance job run only on the leader (lib/cluster/leader; every process on SQLite). Errors of a step are logged and the loop goes on. The timer
 * does not keep the process alive.
 */
export function startScheduler(
  options: { intervalMs?: number; limit?: number; concurrency?: number; maintenance?: MaintenanceJob } = {},
): Scheduler {
  const intervalMs = options.intervalMs ?? settings().checkIntervalSeconds * 1000;
  const job = options.maintenance;
  let nextJobAt = job ? Date.now() + job.intervalMs : Infinity;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const sweep = async () => {
    const r = await timeSweep(() => sweepDueDomains({ limit: options.limit, concurrency: options.concurrency }));
    if (r.checked + r.failed > 0) log.info(`[checker] checked ${r.checked}, failed ${r.failed}, flagged ${r.flagged.length}`);
    if (isLeader()) {
      await foldDomainStatusDeltas(); // PostgreSQL: the status deltas into their counters (lib/ops/queries)
      await takeDailySnapshot(); // today's counts for the /ops chart (6 rows, O(1))
    }
    const claims = await checkDueClaims(); // claims on other accounts' hostnames (docs/product.md §3.5)
    if (claims.moved > 0) log.info(`[checker] claims: checked ${claims.checked}, hostnames moved ${claims.moved}`);
  };
  const maintain = async () => {
    if (!job || Date.now() < nextJobAt || !isLeader()) return; // once per cluster: the leader's (lib/cluster/leader)
    nextJobAt = Date.now() + job.intervalMs;
    await job.run();
  };
  const tick = () => {
    running = (async () => {
      await sweep().catch((error) => log.error({ err: error }, "[checker] sweep failed"));
      await maintain().catch((error) => log.error({ err: error }, `[maintenance] ${job?.name} failed`));
    })().finally(() => {
      running = null;
      if (!stopped) schedule();
    });
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
