import crypto from "node:crypto";
import { log } from "@/lib/log";
import { registerDatabaseGauges } from "./database";
import { consoleMetrics } from "./index";

// `GET /metrics` (app/metrics/route.ts, and the worker's WORKER_METRICS_PORT): the Prometheus text format for a
// scraper holding `METRICS_TOKEN`. Unset, the endpoint does not exist (404); a missing or wrong bearer gets 401.

/** `METRICS_TOKEN` from `env`, trimmed; null when unset or empty (then /metrics answers 404). */
export function metricsToken(env: Record<string, string | undefined> = process.env): string | null {
  return env.METRICS_TOKEN?.trim() || null;
}

/** True when `authorization` is `Bearer <expected>`, compared in constant time (over SHA-256 digests of both). */
export function bearerMatches(authorization: string | null, expected: string): boolean {
  const presented = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "")?.[1] ?? "";
  const digest = (value: string) => crypto.createHash("sha256").update(value).digest();
  return crypto.timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0;
}

let lastRefusalWarning = 0;

/** Logs a refused scrape at most once a minute: a scraper with a wrong token retries every interval. */
function warnRefusedScrape(): void {
  if (Date.now() - lastRefusalWarning < 60_000) return;
  lastRefusalWarning = Date.now();
  log.warn("metrics: refused a scrape without the right METRICS_TOKEN (at most one such line a minute)");
}

const plain = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers } });

/**
 * Answers a scrape: 404 when METRICS_TOKEN is unset, 401 (with `WWW-Authenticate: Bearer`, RFC 6750 §3) when the
 * request's `Authorization` is not `Bearer <METRICS_TOKEN>`, else 200 with this process's registry in the
 * Prometheus text exposition format (version 0.0.4), the database gauges read now. HEAD gets the headers only.
 */
export async function metricsResponse(request: Request): Promise<Response> {
  const token = metricsToken();
  if (!token) return plain(404, "Not found.\n");
  if (!bearerMatches(request.headers.get("authorization"), token)) {
    warnRefusedScrape();
    return plain(401, "Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`.\n", {
      "www-authenticate": 'Bearer realm="Edge Console metrics"',
    });
  }
  const { registry } = consoleMetrics();
  registerDatabaseGauges(registry);
  const body = await registry.metrics();
  return new Response(request.method === "HEAD" ? null : body, {
    status: 200,
    headers: { "content-type": registry.contentType, "cache-control": "no-store" },
  });
}
