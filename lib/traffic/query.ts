import { dialect } from "@/db";
import { rawReader } from "@/db/raw";
import { LATENCY_BUCKETS_MS } from "@/db/schema";

// Reading traffic (docs/traffic.md "Reading"): series of the rollups (minute rows, or hour rows) of environments, the
// same numbers for the charts and the API, the last requests, and an account's monthly bandwidth. Pages never read
// anything but these rows.

/** A series step: one point per minute (rows kept 7 days) or per hour (kept 90 days). */
export type TrafficStep = "minute" | "hour";

/** One point of a series: the counters of one period, with the derived rates. */
export type TrafficPoint = {
  /** Epoch ms of the period's start. */
  at: number;
  requests: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  bytesIn: number;
  bytesOut: number;
  hits: number;
  misses: number;
  passes: number;
  blocked: number;
  /** 5xx / requests, 0..1; null without requests. */
  errorRate: number | null;
  /** HIT / (HIT + MISS), 0..1; null when nothing was cacheable (no HIT and no MISS). */
  hitRatio: number | null;
  /** Upper bound (ms) of the latency bucket holding the 95th percentile; null without requests or above 10 s. */
  p95Ms: number | null;
  /** The latency histogram (LATENCY_BUCKETS_MS bounds, then slower). */
  latency: number[];
};

/** Longest range per step (ms): 7 days of minutes, 90 days of hours. */
export const MAX_RANGE_MS: Record<TrafficStep, number> = { minute: 7 * 86_400_000, hour: 90 * 86_400_000 };

const STEP_MS: Record<TrafficStep, number> = { minute: 60_000, hour: 3_600_000 };

const LAT = Array.from({ length: LATENCY_BUCKETS_MS.length + 1 }, (_, i) => `lat_${i}`);

/** The bucket bound holding the `q` quantile of `latency` (ms), or null (no requests, or the open last bucket). */
export function quantileMs(latency: readonly number[], q: number): number | null {
  const total = latency.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const want = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < latency.length; i++) {
    seen += latency[i];
    if (seen >= want) return i < LATENCY_BUCKETS_MS.length ? LATENCY_BUCKETS_MS[i] : null;
  }
  return null;
}

type Row = Record<string, number>;

function point(at: number, r: Row | undefined): TrafficPoint {
  const v = (k: string) => (r ? Number(r[k] ?? 0) : 0);
  const latency = LAT.map(v);
  const requests = v("requests");
  const hits = v("hits");
  const misses = v("misses");
  return {
    at,
    requests,
    status2xx: v("status_2xx"),
    status3xx: v("status_3xx"),
    status4xx: v("status_4xx"),
    status5xx: v("status_5xx"),
    bytesIn: v("bytes_in"),
    bytesOut: v("bytes_out"),
    hits,
    misses,
    passes: v("passes"),
    blocked: v("blocked"),
    errorRate: requests ? v("status_5xx") / requests : null,
    hitRatio: hits + misses ? hits / (hits + misses) : null,
    p95Ms: quantileMs(latency, 0.95),
    latency,
  };
}

/**
 * The series of each environment in `environmentIds` from `from` (inclusive) to `to` (exclusive), epoch ms, one point
 * per step with zeros where nothing was counted. `from` is rounded down to the step. Throws RangeError for a range
 * longer than MAX_RANGE_MS[step] or `to <= from` (the promise rejects with it).
 */
export async function trafficSeries(
  environmentIds: readonly number[],
  from: number,
  to: number,
  step: TrafficStep,
): Promise<Map<number, TrafficPoint[]>> {
  const size = STEP_MS[step];
  const start = from - (from % size);
  if (to <= start) throw new RangeError("to must be after from");
  if (to - start > MAX_RANGE_MS[step]) throw new RangeError(`at most ${MAX_RANGE_MS[step] / 86_400_000} days per ${step}`);
  const table = step === "minute" ? "traffic_minutes" : "traffic_hours";
  const out = new Map<number, TrafficPoint[]>();
  if (!environmentIds.length) return out;
  const byEnv = new Map<number, Map<number, Row>>();
  const reader = rawReader();
  for (let i = 0; i < environmentIds.length; i += 500) {
    const chunk = environmentIds.slice(i, i + 500);
    const rows = await reader.rows<Row>(
      `SELECT * FROM ${table} WHERE environment_id IN (${chunk.map(() => "?").join(",")}) AND at >= ? AND at < ?`,
      [...chunk, start, to],
    );
    for (const r of rows) {
      let m = byEnv.get(r.environment_id);
      if (!m) byEnv.set(r.environment_id, (m = new Map()));
      m.set(r.at, r);
    }
  }
  for (const id of environmentIds) {
    const rows = byEnv.get(id);
    const points: TrafficPoint[] = [];
    for (let at = start; at < to; at += size) points.push(point(at, rows?.get(at)));
    out.set(id, points);
  }
  return out;
}

/** Sums points into one (the totals of a range), with the derived rates of the sum. */
export function totalOf(points: readonly TrafficPoint[], at = points[0]?.at ?? 0): TrafficPoint {
  const sum: Row = {};
  for (const p of points) {
    const add = (k: string, n: number) => (sum[k] = (sum[k] ?? 0) + n);
    add("requests", p.requests);
    add("status_2xx", p.status2xx);
    add("status_3xx", p.status3xx);
    add("status_4xx", p.status4xx);
    add("status_5xx", p.status5xx);
    add("bytes_in", p.bytesIn);
    add("bytes_out", p.bytesOut);
    add("hits", p.hits);
    add("misses", p.misses);
    add("passes", p.passes);
    add("blocked", p.blocked);
    p.latency.forEach((n, i) => add(`lat_${i}`, n));
  }
  return point(at, sum);
}

/** One of the last requests of an environment (docs/traffic.md "Recent requests"). */
export type RecentRequestView = {
  at: number;
  method: string;
  path: string;
  status: number;
  cache: string | null;
  durationMs: number;
  requestId: string;
  nodeId: number;
};

/** The last requests of an environment, newest first (at most 100); `requestId` filters on a prefix of the id. */
export async function recentRequests(environmentId: number, requestId?: string): Promise<RecentRequestView[]> {
  const q = requestId?.trim() ?? "";
  const rows = await rawReader().rows<Record<string, string | number | null>>(
    "SELECT at, method, path, status, cache, duration_ms, request_id, node_id FROM traffic_recent_requests WHERE environment_id = ? " +
      (q ? "AND substr(request_id, 1, ?) = ? " : "") +
      "ORDER BY at DESC, id DESC LIMIT 100",
    q ? [environmentId, q.length, q] : [environmentId],
  );
  return rows.map((r) => ({
    at: Number(r.at),
    method: String(r.method),
    path: String(r.path),
    status: Number(r.status),
    cache: r.cache === null ? null : String(r.cache),
    durationMs: Number(r.duration_ms),
    requestId: String(r.request_id),
    nodeId: Number(r.node_id),
  }));
}

/** Bytes sent to and received from clients by all environments of an account in each month (UTC), newest first. */
export async function accountMonthlyBandwidth(
  accountId: number,
  months = 12,
): Promise<{ month: string; bytesOut: number; bytesIn: number; requests: number }[]> {
  // The UTC month of an epoch-ms column as YYYY-MM, in each dialect's own date functions.
  const month =
    dialect() === "sqlite" ? "strftime('%Y-%m', at / 1000, 'unixepoch')" : "to_char(to_timestamp(at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')";
  const rows = await rawReader().rows<{ month: string; out: number; inn: number; req: number }>(
    `SELECT ${month} AS month, sum(bytes_out) AS out, sum(bytes_in) AS inn, sum(requests) AS req ` +
      "FROM traffic_hours WHERE account_id = ? GROUP BY month ORDER BY month DESC LIMIT ?",
    [accountId, months],
  );
  return rows.map((r) => ({ month: r.month, bytesOut: Number(r.out), bytesIn: Number(r.inn), requests: Number(r.req) }));
}

/** A node's traffic over the last hour, and when it last pushed (docs/traffic.md "Operators"). */
export type NodeTraffic = {
  nodeId: number;
  requests: number;
  status5xx: number;
  bytesOut: number;
  lostLogs: number;
  droppedPushes: number;
  lastPushAt: number | null;
};

/** Per-node totals of the last `windowMs` (default one hour), with each node's last push. */
export async function fleetTraffic(now = Date.now(), windowMs = 3_600_000): Promise<NodeTraffic[]> {
  const reader = rawReader();
  const totals = await reader.rows<{ node_id: number; requests: number; s5: number; out: number; lost: number; dropped: number }>(
    "SELECT node_id, sum(requests) AS requests, sum(status_5xx) AS s5, sum(bytes_out) AS out, sum(lost_logs) AS lost, sum(dropped_pushes) AS dropped " +
      "FROM traffic_node_minutes WHERE at >= ? GROUP BY node_id",
    [now - windowMs],
  );
  const last = new Map(
    (await reader.rows<{ node_id: number; at: number }>("SELECT node_id, max(received_at) AS at FROM traffic_pushes GROUP BY node_id")).map(
      (r) => [r.node_id, r.at],
    ),
  );
  const ids = new Set([...totals.map((t) => t.node_id), ...last.keys()]);
  return [...ids].map((id) => {
    const t = totals.find((x) => x.node_id === id);
    return {
      nodeId: id,
      requests: Number(t?.requests ?? 0),
      status5xx: Number(t?.s5 ?? 0),
      bytesOut: Number(t?.out ?? 0),
      lostLogs: Number(t?.lost ?? 0),
      droppedPushes: Number(t?.dropped ?? 0),
      lastPushAt: last.get(id) ?? null,
    };
  });
}
