import { z } from "zod";
import { rawReader, rawWriteTransaction } from "@/db/raw";
import { LATENCY_BUCKETS_MS } from "@/db/schema";
import type { FieldError } from "@/lib/api/problem";

// The console's side of a node's metrics push (docs/edge.md "Metrics", docs/traffic.md "Ingest"): validated, then
// added to the minute and hour rows of each environment (summed over nodes) and the node's own minute and hour
// rows, in one transaction with the push id, so a retried push is counted once. The last requests of each
// environment are kept, 100 at most.

/** Largest push body accepted (bytes). */
export const MAX_PUSH_BYTES = 16 * 1024 * 1024;

/** Requests one node may claim for one environment in one minute (about 1.7 M req/s): above is refused as absurd. */
export const MAX_REQUESTS_PER_MINUTE = 100_000_000;

/** Bytes one node may claim for one environment in one minute (about 100 Gbit/s). */
export const MAX_BYTES_PER_MINUTE = 750_000_000_000;

/** Minute rows are kept 7 days: a push about an older minute is refused. */
export const MINUTE_RETENTION_MS = 7 * 24 * 3_600_000;

/** Recent requests kept per environment. */
export const RECENT_KEPT = 100;

const LATENCY_COUNT = LATENCY_BUCKETS_MS.length + 1;
const count = (max: number) => z.number().int().min(0).max(max);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

const minuteSchema = z
  .strictObject({
    environmentId: z.number().int().positive(),
    at: z
      .number()
      .int()
      .refine((v) => v % 60_000 === 0, "must be the start of a minute (epoch ms)"),
    requests: count(MAX_REQUESTS_PER_MINUTE),
    status2xx: count(MAX_REQUESTS_PER_MINUTE),
    status3xx: count(MAX_REQUESTS_PER_MINUTE),
    status4xx: count(MAX_REQUESTS_PER_MINUTE),
    status5xx: count(MAX_REQUESTS_PER_MINUTE),
    bytesIn: count(MAX_BYTES_PER_MINUTE),
    bytesOut: count(MAX_BYTES_PER_MINUTE),
    hits: count(MAX_REQUESTS_PER_MINUTE),
    misses: count(MAX_REQUESTS_PER_MINUTE),
    passes: count(MAX_REQUESTS_PER_MINUTE),
    blocked: count(MAX_REQUESTS_PER_MINUTE),
    latency: z.array(count(MAX_REQUESTS_PER_MINUTE)).length(LATENCY_COUNT),
  })
  .refine((m) => m.status2xx + m.status3xx + m.status4xx + m.status5xx <= m.requests, "status counts exceed requests")
  // Requests, status classes and bytes are HAProxy's counters, read at the minute; the cache counts, blocks and the
  // histogram count the log lines received, by accept time (docs/traffic.md "Counters"): they are held to the
  // histogram's total, which may differ from `requests` (a lost line, a request accepted in the minute before).
  .refine((m) => m.hits + m.misses + m.passes <= sum(m.latency), "cache counts exceed the logged requests (latency)")
  .refine((m) => m.blocked <= sum(m.latency), "blocked exceeds the logged requests (latency)");

const recentSchema = z.strictObject({
  environmentId: z.number().int().positive(),
  at: z.number().int().min(0),
  method: z.string().min(1).max(16),
  path: z.string().max(512),
  status: z.number().int().min(100).max(999),
  cache: z.enum(["HIT", "MISS", "PASS"]).nullable(),
  durationMs: z.number().int().min(0).max(86_400_000),
  requestId: z.string().max(128),
});

/** The push body (docs/edge.md "Metrics"); unknown fields are refused. */
export const metricsPushSchema = z.strictObject({
  pushId: z.uuid(),
  createdAt: z.number().int().min(0),
  lostLogs: count(MAX_REQUESTS_PER_MINUTE),
  droppedPushes: count(1_000_000),
  minutes: z.array(minuteSchema).max(200_000),
  recent: z.array(recentSchema).max(200_000),
});

/** A parsed push. */
export type MetricsPush = z.infer<typeof metricsPushSchema>;

/** Parses a push body: the push, or the fields at fault (`minutes.3.requests: …`). */
export function parseMetricsPush(body: unknown): { ok: true; push: MetricsPush } | { ok: false; errors: FieldError[] } {
  const parsed = metricsPushSchema.safeParse(body);
  if (parsed.success) return { ok: true, push: parsed.data };
  return { ok: false, errors: parsed.error.issues.slice(0, 20).map((i) => ({ field: i.path.join("."), message: i.message })) };
}

/** Outcome of {@link ingestMetricsPush}. */
export type IngestResult = { ok: true; duplicate: boolean; minutes: number; ignored: number } | { ok: false; errors: FieldError[] };

const COUNTER_COLUMNS = [
  "requests",
  "status_2xx",
  "status_3xx",
  "status_4xx",
  "status_5xx",
  "bytes_in",
  "bytes_out",
  "hits",
  "misses",
  "passes",
  "blocked",
  ...Array.from({ length: LATENCY_COUNT }, (_, i) => `lat_${i}`),
];

function counterValues(m: MetricsPush["minutes"][number]): number[] {
  return [
    m.requests,
    m.status2xx,
    m.status3xx,
    m.status4xx,
    m.status5xx,
    m.bytesIn,
    m.bytesOut,
    m.hits,
    m.misses,
    m.passes,
    m.blocked,
    ...m.latency,
  ];
}

function upsertSql(table: string): string {
  const cols = ["environment_id", "account_id", "at", ...COUNTER_COLUMNS];
  return (
    `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ` +
    `ON CONFLICT (environment_id, at) DO UPDATE SET ${COUNTER_COLUMNS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ")}`
  );
}

const NODE_UPSERT = (table: string) =>
  `INSERT INTO ${table} (node_id, at, requests, status_5xx, bytes_out, lost_logs, dropped_pushes) VALUES (?, ?, ?, ?, ?, ?, ?) ` +
  `ON CONFLICT (node_id, at) DO UPDATE SET ` +
  ["requests", "status_5xx", "bytes_out", "lost_logs", "dropped_pushes"].map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ");

/**
 * Records one push of node `nodeId` (docs/traffic.md "Ingest"). Refuses (ok false, nothing written) a push naming an
 * environment the edge was never given, or a minute older than 7 days or more than 5 minutes ahead of `now`. An
 * environment deleted since (its edge version row remains) is ignored and counted in `ignored`. A push id seen
 * before answers `duplicate: true` and adds nothing. One write transaction.
 */
export async function ingestMetricsPush(nodeId: number, push: MetricsPush, now: number = Date.now()): Promise<IngestResult> {
  const errors: FieldError[] = [];
  push.minutes.forEach((m, i) => {
    if (m.at < now - MINUTE_RETENTION_MS || m.at > now + 5 * 60_000) {
      errors.push({ field: `minutes.${i}.at`, message: "must be within the last 7 days and not in the future" });
    }
  });
  if (errors.length) return { ok: false, errors: errors.slice(0, 20) };
  const ids = [...new Set([...push.minutes.map((m) => m.environmentId), ...push.recent.map((r) => r.environmentId)])];
  const accountOf = new Map<number, number>();
  const known = new Set<number>();
  const reader = rawReader();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const marks = chunk.map(() => "?").join(",");
    for (const r of await reader.rows<{ id: number; account_id: number }>(
      `SELECT id, account_id FROM environments WHERE id IN (${marks})`,
      chunk,
    )) {
      accountOf.set(r.id, r.account_id);
    }
    for (const r of await reader.rows<{ environment_id: number }>(
      `SELECT environment_id FROM edge_environment_versions WHERE environment_id IN (${marks})`,
      chunk,
    )) {
      known.add(r.environment_id);
    }
  }
  for (const id of ids) {
    if (!accountOf.has(id) && !known.has(id)) errors.push({ field: "minutes", message: `environment ${id} is unknown to the edge` });
  }
  if (errors.length) return { ok: false, errors: errors.slice(0, 20) };

  // Each statement is an atomic upsert, so READ COMMITTED is enough on PostgreSQL: concurrent pushes add up, and
  // the push id's row (ON CONFLICT DO NOTHING) lets exactly one of two copies of a push through.
  return rawWriteTransaction(async (db): Promise<IngestResult> => {
    const fresh = await db.run(
      "INSERT INTO traffic_pushes (push_id, node_id, received_at) VALUES (?, ?, ?) ON CONFLICT (push_id) DO NOTHING",
      [push.pushId, nodeId, now],
    );
    if (fresh === 0) return { ok: true, duplicate: true, minutes: 0, ignored: 0 };
    // Every push locks the rows it adds to in one order — its minute rows, then its hour rows, then the node's
    // minute and hour rows, each by (key, at) ascending — so concurrent pushes wait on each other but never
    // deadlock (docs/traffic.md "Ingest"; PostgreSQL docs, "Explicit Locking" § "Deadlocks"). Written in the push's
    // own order, a node sending its backlog newest first and one sending the latest minute locked a minute row and
    // the shared hour row in opposite orders.
    const minuteRows = new Map<string, { environmentId: number; account: number; at: number; values: number[] }>();
    const hourRows = new Map<string, { environmentId: number; account: number; at: number; values: number[] }>();
    const add = (rows: typeof minuteRows, environmentId: number, account: number, at: number, values: number[]) => {
      const key = `${environmentId}:${at}`;
      const row = rows.get(key);
      if (row) row.values = row.values.map((v, i) => v + values[i]);
      else rows.set(key, { environmentId, account, at, values });
    };
    const nodeTotals = new Map<number, { requests: number; s5: number; out: number }>();
    let ignored = 0;
    let written = 0;
    for (const m of push.minutes) {
      const account = accountOf.get(m.environmentId);
      if (account === undefined) {
        ignored++;
        continue;
      }
      const values = counterValues(m);
      add(minuteRows, m.environmentId, account, m.at, values);
      add(hourRows, m.environmentId, account, m.at - (m.at % 3_600_000), values);
      const t = nodeTotals.get(m.at) ?? { requests: 0, s5: 0, out: 0 };
      t.requests += m.requests;
      t.s5 += m.status5xx;
      t.out += m.bytesOut;
      nodeTotals.set(m.at, t);
      written++;
    }
    const byKey = (a: { environmentId: number; at: number }, b: { environmentId: number; at: number }) =>
      a.environmentId - b.environmentId || a.at - b.at;
    for (const [table, rows] of [
      ["traffic_minutes", minuteRows],
      ["traffic_hours", hourRows],
    ] as const) {
      const upsert = upsertSql(table);
      for (const r of [...rows.values()].sort(byKey)) await db.run(upsert, [r.environmentId, r.account, r.at, ...r.values]);
    }
    // Loss counts belong to the minute the push was made in (docs/traffic.md "Loss").
    const lossAt = now - (now % 60_000);
    if (push.lostLogs || push.droppedPushes) {
      const t = nodeTotals.get(lossAt) ?? { requests: 0, s5: 0, out: 0 };
      nodeTotals.set(lossAt, t);
    }
    const nodeMinutes = [...nodeTotals].sort(([a], [b]) => a - b);
    const nodeHours = new Map<number, { requests: number; s5: number; out: number; lost: number; dropped: number }>();
    const nodeMinuteSql = NODE_UPSERT("traffic_node_minutes");
    for (const [at, t] of nodeMinutes) {
      const lost = at === lossAt ? push.lostLogs : 0;
      const dropped = at === lossAt ? push.droppedPushes : 0;
      await db.run(nodeMinuteSql, [nodeId, at, t.requests, t.s5, t.out, lost, dropped]);
      const hourAt = at - (at % 3_600_000);
      const h = nodeHours.get(hourAt) ?? { requests: 0, s5: 0, out: 0, lost: 0, dropped: 0 };
      nodeHours.set(hourAt, {
        requests: h.requests + t.requests,
        s5: h.s5 + t.s5,
        out: h.out + t.out,
        lost: h.lost + lost,
        dropped: h.dropped + dropped,
      });
    }
    const nodeHourSql = NODE_UPSERT("traffic_node_hours");
    for (const [at, h] of [...nodeHours].sort(([a], [b]) => a - b)) {
      await db.run(nodeHourSql, [nodeId, at, h.requests, h.s5, h.out, h.lost, h.dropped]);
    }
    const insertRecent =
      "INSERT INTO traffic_recent_requests (environment_id, node_id, at, method, path, status, cache, duration_ms, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    const touched = new Set<number>();
    for (const r of push.recent) {
      if (!accountOf.has(r.environmentId)) continue;
      await db.run(insertRecent, [r.environmentId, nodeId, r.at, r.method, r.path, r.status, r.cache, r.durationMs, r.requestId]);
      touched.add(r.environmentId);
    }
    const trim =
      "DELETE FROM traffic_recent_requests WHERE environment_id = ? AND id NOT IN " +
      "(SELECT id FROM traffic_recent_requests WHERE environment_id = ? ORDER BY at DESC, id DESC LIMIT ?)";
    for (const id of [...touched].sort((a, b) => a - b)) await db.run(trim, [id, id, RECENT_KEPT]);
    return { ok: true, duplicate: false, minutes: written, ignored };
  });
}
