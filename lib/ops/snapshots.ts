import { and, asc, eq, gte, sql } from "drizzle-orm";
import { execute, getDb, writeTransaction, first } from "@/db";
import { domainStatusSnapshots } from "@/db/schema";
import { DOMAIN_STATUS_COUNTS_SQL } from "./queries";

/** The UTC day of `at` as `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Writes today's snapshot for the `/ops` chart: copies the 6 per-status counts (DOMAIN_STATUS_COUNTS_SQL) into
 * `domain_status_snapshots` under the UTC day of `now` (default: the current time), replacing that day's earlier
 * snapshot, in one statement (so the day's rows are always from one moment). O(1) in the number of domains.
 */
export async function takeDailySnapshot(now: Date = new Date()): Promise<void> {
  await writeTransaction(() =>
    execute(sql`
    INSERT INTO domain_status_snapshots (day, status, count, taken_at)
    SELECT ${utcDay(now)}, status, count, ${now.getTime()} FROM (${sql.raw(DOMAIN_STATUS_COUNTS_SQL)}) AS counts WHERE true
    ON CONFLICT (day, status) DO UPDATE SET count = excluded.count, taken_at = excluded.taken_at`),
  );
}

/** Takes today's snapshot only if there is none yet for the UTC day of `now` (when `/ops` renders). Returns whether it wrote. */
export async function ensureDailySnapshot(now: Date = new Date()): Promise<boolean> {
  const exists = await first(
    getDb()
      .select({ day: domainStatusSnapshots.day })
      .from(domainStatusSnapshots)
      .where(and(eq(domainStatusSnapshots.day, utcDay(now)), eq(domainStatusSnapshots.status, "live"))),
  );
  if (exists) return false;
  await takeDailySnapshot(now);
  return true;
}

/** One day of the chart: live domains, every other (pending, misconfigured, not found, DNS error), and flagged ones. */
export type SnapshotPoint = { day: string; live: number; notLive: number; flagged: number };

/** The chart's points for the last `days` UTC days up to `now` (default 90), oldest first; days without a snapshot are left out. */
export async function listSnapshotPoints(params: { days?: number; now?: Date } = {}): Promise<SnapshotPoint[]> {
  const now = params.now ?? new Date();
  const from = utcDay(new Date(now.getTime() - ((params.days ?? 90) - 1) * 86_400_000));
  const rows = await getDb()
    .select()
    .from(domainStatusSnapshots)
    .where(gte(domainStatusSnapshots.day, from))
    .orderBy(asc(domainStatusSnapshots.day));
  const byDay = new Map<string, SnapshotPoint>();
  for (const r of rows) {
    const point = byDay.get(r.day) ?? { day: r.day, live: 0, notLive: 0, flagged: 0 };
    if (r.status === "live") point.live = r.count;
    else if (r.status === "flagged") point.flagged = r.count;
    else point.notLive += r.count;
    byDay.set(r.day, point);
  }
  return [...byDay.values()];
}

/**
 * The chart's points with today's (UTC day of `now`) replaced by the current counts, so the last bar is never older
 * than the page: `counts` are the per-status counters already read for the page (no extra query).
 */
export function withCurrentCounts(
  points: SnapshotPoint[],
  counts: Record<"pending" | "live" | "misconfigured" | "nxdomain" | "error" | "flagged", number>,
  now: Date = new Date(),
): SnapshotPoint[] {
  const today: SnapshotPoint = {
    day: utcDay(now),
    live: counts.live,
    notLive: counts.pending + counts.misconfigured + counts.nxdomain + counts.error,
    flagged: counts.flagged,
  };
  return [...points.filter((p) => p.day !== today.day), today];
}
