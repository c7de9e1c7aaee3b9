import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

// The console's Prometheus metrics (docs/architecture.md "Logs and metrics"), counted where things happen and read
// at `GET /metrics` (app/metrics/route.ts) or on the worker's WORKER_METRICS_PORT. One registry per process, on
// globalThis: Next loads a module once per bundle, and every bundle must count into the same registry. Gauges read
// from the database at scrape time live in ./database.ts.

/** Go-live check results: the outcome a check found, or `failed` when it could not be made or stored. */
export type GoLiveCheckResult = "live" | "pending" | "misconfigured" | "nxdomain" | "error" | "failed";
/** Mail results: `sent` (accepted by SMTP_URL), `logged` (no SMTP_URL: printed to the log), `failed`. */
export type MailResult = "sent" | "logged" | "failed";

/** This process's registry and the metrics counted at their call sites. */
export type ConsoleMetrics = {
  registry: Registry;
  goLiveChecks: Counter<"result">;
  sweepDuration: Histogram;
  mails: Counter<"result">;
  rateLimitRefusals: Counter<"limiter">;
  certificateOrders: Counter<"result">;
};

const KEY = Symbol.for("edge-console.metrics");

/** This process's metrics, made on first use with prom-client's default process metrics (CPU, memory, event loop, GC). */
export function consoleMetrics(): ConsoleMetrics {
  const holder = globalThis as unknown as Record<symbol, ConsoleMetrics | undefined>;
  const existing = holder[KEY];
  if (existing) return existing;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const made: ConsoleMetrics = {
    registry,
    goLiveChecks: new Counter({
      name: "edge_console_go_live_checks_total",
      help: "Go-live DNS checks stored, by result (the outcome found; failed: could not be made or stored).",
      labelNames: ["result"],
      registers: [registry],
    }),
    sweepDuration: new Histogram({
      name: "edge_console_dns_sweep_duration_seconds",
      help: "Duration of the background sweeps of due domains, in seconds.",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    mails: new Counter({
      name: "edge_console_mails_total",
      help: "Mails by result: sent (accepted by the SMTP server), logged (no SMTP_URL: printed to the log), failed.",
      labelNames: ["result"],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: "edge_console_rate_limit_refusals_total",
      help: "Requests refused by a rate limit, by limiter (login, signup, reset, invite, verify-resend, reauth, two-factor, api).",
      labelNames: ["limiter"],
      registers: [registry],
    }),
    certificateOrders: new Counter({
      name: "edge_console_certificate_orders_total",
      help: "ACME certificate orders of the certificate scheduler, by result (issued, failed, waiting, lost, error).",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
  holder[KEY] = made;
  return made;
}

/** Counts `n` (default 1) go-live checks with `result`. */
export function countGoLiveCheck(result: GoLiveCheckResult, n = 1): void {
  consoleMetrics().goLiveChecks.inc({ result }, n);
}

/** Runs one sweep (`fn`) and records its duration in seconds, whether it resolves or rejects. */
export async function timeSweep<T>(fn: () => Promise<T>): Promise<T> {
  const end = consoleMetrics().sweepDuration.startTimer();
  try {
    return await fn();
  } finally {
    end();
  }
}

/** Counts one mail by result. */
export function countMail(result: MailResult): void {
  consoleMetrics().mails.inc({ result });
}

/** Counts one attempt refused by the rate limiter named `limiter`. */
export function countRateLimitRefusal(limiter: string): void {
  consoleMetrics().rateLimitRefusals.inc({ limiter });
}

/** Counts one certificate order by result; returns `outcome` unchanged so a call site can wrap its value. */
export function countCertificateOrder<T extends { result: string }>(outcome: T): T {
  consoleMetrics().certificateOrders.inc({ result: outcome.result });
  return outcome;
}
