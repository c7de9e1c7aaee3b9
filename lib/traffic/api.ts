import "server-only";
import { apiEnvironment } from "@/lib/api/access";
import { defineOperation } from "@/lib/api/operation";
import { environmentParams } from "@/lib/api/operations/params";
import { validationProblem } from "@/lib/api/problem";
import { z } from "@/lib/api/zod";
import { MAX_RANGE_MS, totalOf, trafficSeries, type TrafficPoint } from "./query";

// GET …/environment/{environmentName}/metrics (docs/traffic.md "API"): the environment's traffic series, the same
// rows and numbers as the charts. Any member of the account may read it; others get 404.

const pointSchema = z
  .strictObject({
    at: z.string().openapi({ format: "date-time", description: "Start of the period (UTC)" }),
    requests: z.number().int(),
    status_2xx: z.number().int(),
    status_3xx: z.number().int(),
    status_4xx: z.number().int(),
    status_5xx: z.number().int(),
    bytes_in: z.number().int(),
    bytes_out: z.number().int(),
    cache_hits: z.number().int(),
    cache_misses: z.number().int(),
    cache_passes: z.number().int(),
    blocked: z.number().int().openapi({ description: "Requests blocked by ModSecurity" }),
    error_rate: z.number().nullable().openapi({ description: "5xx / requests (0–1); null without requests" }),
    cache_hit_ratio: z.number().nullable().openapi({ description: "HIT / (HIT + MISS) (0–1); null when nothing was cacheable" }),
    p95_ms: z
      .number()
      .nullable()
      .openapi({ description: "Upper bound of the latency bucket holding the 95th percentile; null without requests or above 10 s" }),
    latency_histogram: z
      .array(z.number().int())
      .openapi({ description: "Requests per latency bucket: ≤5, ≤10, ≤25, ≤50, ≤100, ≤250, ≤500, ≤1000, ≤2500, ≤5000, ≤10000 ms, slower" }),
  })
  .openapi("TrafficPoint");

const metricsSchema = z
  .strictObject({
    environment: z.string(),
    from: z.string().openapi({ format: "date-time" }),
    to: z.string().openapi({ format: "date-time" }),
    step: z.enum(["minute", "hour"]),
    totals: pointSchema,
    series: z.array(pointSchema),
  })
  .openapi("EnvironmentMetrics");

const timeParam = (description: string) =>
  z
    .string()
    .max(40)
    .optional()
    .openapi({ description: `${description}: an ISO 8601 date-time or epoch milliseconds`, example: "2026-12-04T10:00:00Z" });

const metricsQuery = z.strictObject({
  from: timeParam("Start (inclusive; default: 24 hours before `to`)"),
  to: timeParam("End (exclusive; default: now)"),
  step: z
    .enum(["minute", "hour"])
    .optional()
    .openapi({ description: "`minute` (up to 7 days, kept 7 days) or `hour` (up to 90 days); default: minute up to 24 hours, else hour" }),
});

function parseTime(raw: string | undefined, field: string): number | null {
  if (raw === undefined || raw === "") return null;
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n))
    throw validationProblem([{ field: `query.${field}`, message: "must be an ISO 8601 date-time or epoch milliseconds" }]);
  return n;
}

/** The API form of a point (snake_case, dates as ISO strings). */
export function toPointBody(p: TrafficPoint) {
  return {
    at: new Date(p.at).toISOString(),
    requests: p.requests,
    status_2xx: p.status2xx,
    status_3xx: p.status3xx,
    status_4xx: p.status4xx,
    status_5xx: p.status5xx,
    bytes_in: p.bytesIn,
    bytes_out: p.bytesOut,
    cache_hits: p.hits,
    cache_misses: p.misses,
    cache_passes: p.passes,
    blocked: p.blocked,
    error_rate: p.errorRate,
    cache_hit_ratio: p.hitRatio,
    p95_ms: p.p95Ms,
    latency_histogram: p.latency,
  };
}

export const trafficOperations = [
  defineOperation({
    operationId: "environmentMetrics",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/metrics",
    tags: ["Environment", "Traffic"],
    summary: "The environment's traffic over all edge nodes: requests, status classes, bytes, cache hits, latency.",
    description:
      "One point per minute or hour from `from` to `to`, zeros where nothing was counted, and the totals of the range. Minute points are kept 7 days, hour points 90 days. The numbers are the charts' numbers.",
    params: environmentParams,
    query: metricsQuery,
    responses: { 200: { description: "Series and totals", schema: metricsSchema } },
    handle: async ({ caller, params, query }) => {
      const { environment } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "account.read",
        "see traffic",
      );
      const to = parseTime(query.to, "to") ?? Date.now();
      const from = parseTime(query.from, "from") ?? to - 86_400_000;
      const step = query.step ?? (to - from <= 86_400_000 ? "minute" : "hour");
      if (to <= from) throw validationProblem([{ field: "query.to", message: "must be after from" }]);
      if (to - from > MAX_RANGE_MS[step]) {
        throw validationProblem([{ field: "query.from", message: `at most ${MAX_RANGE_MS[step] / 86_400_000} days with step=${step}` }]);
      }
      const series = (await trafficSeries([environment.id], from, to, step)).get(environment.id) ?? [];
      return {
        status: 200,
        body: {
          environment: environment.name,
          from: new Date(series[0]?.at ?? from).toISOString(),
          to: new Date(to).toISOString(),
          step,
          totals: toPointBody(totalOf(series)),
          series: series.map(toPointBody),
        },
      };
    },
  }),
];
