import type { Logger } from "pino";
import { processLogger, requestContext, requestIdFrom, setLogSink } from "./core.mjs";

// The console's logger (docs/architecture.md "Logs and metrics"). Log with an object of fields first, then the
// message: `log.error({ err: error, domainId }, "check failed")` — `err` is serialised with its stack. Secrets are
// censored by key (lib/log/core.mjs SECRET_KEYS); never put one into the message text itself.

/** This process's pino logger: JSON lines on stdout (pino-pretty on a terminal), at `LOG_LEVEL` (default info). */
export const log: Logger = processLogger();

/** What the request context carries into every line logged while a request runs. */
export type LogContext = { requestId?: string; userId?: number; accountId?: number };

/**
 * Adds `fields` (the signed-in user's id, the account a request acts on) to the current request's log context, so
 * every later line of the request carries them. Does nothing outside a request (scheduler, worker, tests).
 */
export function annotateRequest(fields: Omit<LogContext, "requestId">): void {
  const store = requestContext().getStore();
  if (store) Object.assign(store, fields);
}

/** Runs `fn` with a request's log context: its `X-Request-Id` (when it passes the edge's rule) and nothing else yet. */
export function runWithRequestId<T>(requestId: string | string[] | null | undefined, fn: () => T): T {
  const id = requestIdFrom(requestId);
  return requestContext().run(id ? { requestId: id } : {}, fn);
}

/** Runs `fn` outside any request's log context: for timers and loops started once that outlive the request. */
export function runOutsideRequest<T>(fn: () => T): T {
  return requestContext().exit(fn);
}

/**
 * Collects the lines this process logs until `stop()` (then they go to stdout again): `lines()` parses them, `text()`
 * is the raw output. For tests that check what reaches the log.
 */
export function captureLog(): { lines: () => Record<string, unknown>[]; text: () => string; stop: () => void } {
  const chunks: string[] = [];
  setLogSink({ write: (line: string) => chunks.push(line) });
  return {
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: () => setLogSink(null),
  };
}
