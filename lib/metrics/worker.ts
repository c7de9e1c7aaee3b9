import http from "node:http";
import { log } from "@/lib/log";
import { metricsResponse } from "./http";

// `npm run worker` runs the sweeps, so their counters live in the worker's process: with WORKER_METRICS_PORT set it
// serves the same `GET /metrics` as the console (same METRICS_TOKEN rules) on WORKER_METRICS_HOST (127.0.0.1).

/** The worker's metrics address from `env`: null when WORKER_METRICS_PORT is unset; throws for a port outside 1–65535. */
export function workerMetricsAddress(env: Record<string, string | undefined> = process.env): { host: string; port: number } | null {
  const raw = env.WORKER_METRICS_PORT?.trim();
  if (!raw) return null;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new Error(`WORKER_METRICS_PORT must be a port number (1–65535), got ${JSON.stringify(raw)}`);
  return { host: env.WORKER_METRICS_HOST?.trim() || "127.0.0.1", port };
}

/**
 * Starts the worker's metrics server when WORKER_METRICS_PORT is set (resolves null otherwise): `GET`/`HEAD /metrics`
 * answered by `metricsResponse`, anything else 404. Resolves once it listens; rejects when it cannot.
 */
export async function serveWorkerMetrics(env: Record<string, string | undefined> = process.env): Promise<http.Server | null> {
  const address = workerMetricsAddress(env);
  if (!address) return null;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found.\n");
      return;
    }
    const headers = new Headers();
    if (req.headers.authorization) headers.set("authorization", req.headers.authorization);
    metricsResponse(new Request(`http://${address.host}:${address.port}/metrics`, { method: req.method, headers })).then(
      async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      },
      (error: unknown) => {
        log.error({ err: error }, "worker metrics: scrape failed");
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Metrics are unavailable.\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, resolve);
  });
  log.info(`worker: metrics on http://${address.host}:${address.port}/metrics`);
  return server;
}
