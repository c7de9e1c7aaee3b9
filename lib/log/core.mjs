// The console's structured log (docs/architecture.md "Logs and metrics"): one pino logger per process writing JSON
// lines (level, time, message, the request id and user/account ids where known) to stdout, or pino-pretty's
// readable lines when stdout is a terminal. Plain JavaScript so that scripts/server.mjs (outside Next's bundle)
// shares it with the bundled code: both reach the same logger and request context through globalThis.
import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";
import pretty from "pino-pretty";

/** The levels `LOG_LEVEL` accepts, most severe first (pino's names); `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Keys whose values never reach the log: passwords, tokens, secrets, private keys, cookies and authorization
 * headers. Matched at the top of a log object and up to two levels down (e.g. `headers.cookie`, `err.config.token`).
 */
export const SECRET_KEYS = [
  "password",
  "newPassword",
  "currentPassword",
  "passwordHash",
  "token",
  "tokenHash",
  "accessToken",
  "refreshToken",
  "sessionToken",
  "apiToken",
  "nodeToken",
  "secret",
  "clientSecret",
  "totpSecret",
  "privateKey",
  "privateKeyPem",
  "keyPem",
  "recoveryCode",
  "recoveryCodes",
  "cookie",
  "cookies",
  "set-cookie",
  "authorization",
  "proxy-authorization",
  "section-token",
];

/** pino `redact` paths for {@link SECRET_KEYS} at depths 0–2 (bracket notation, so `set-cookie` works). */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`, `*.*["${key}"]`]);

/** What replaces a redacted value. */
export const REDACTED = "[redacted]";

/** The X-Request-Id values logged: the edge's own rule (edge/haproxy/render.ts), one header of 1–128 safe characters. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Pages whose last path segment is a credential (a link token from a mail); logged as `[token]`. */
const TOKEN_PAGES = /^(\/(?:invite|reset-password|verify-email|change-email\/undo|change-email))\/[^/?#]+/;

/**
 * The path of a request target as the access log writes it: without the query string (it may hold a return URL
 * or a token) and with the link token of /invite, /reset-password, /verify-email and /change-email(/undo) replaced
 * by `[token]`.
 * @param {string | undefined} target
 * @returns {string}
 */
export function loggablePath(target) {
  const pathname = (target ?? "/").split(/[?#]/)[0] || "/";
  return pathname.replace(TOKEN_PAGES, "$1/[token]");
}

/**
 * Logs one answered request of Node's HTTP server (scripts/server.mjs) when its response has been sent: method,
 * {@link loggablePath}, status, duration in ms, and the request's log context (`requestId`, `userId`, `accountId`
 * as they were at the end). Next's static assets (`/_next/`) are not logged.
 * @param {import("node:http").IncomingMessage} req
 * @param {import("node:http").ServerResponse} res
 * @param {Record<string, string | number>} context the object the request ran with (see {@link requestContext})
 */
export function logRequestWhenDone(req, res, context) {
  if ((req.url ?? "").startsWith("/_next/")) return;
  const started = performance.now();
  res.once("close", () => {
    const fields = {
      ...context,
      method: req.method,
      path: loggablePath(req.url),
      status: res.statusCode,
      ms: Math.round(performance.now() - started),
    };
    processLogger().info(fields, "request");
  });
}

const CONTEXT_KEY = Symbol.for("edge-console.log-context");
const LOGGER_KEY = Symbol.for("edge-console.logger");

/**
 * The per-request log context (AsyncLocalStorage; one instance per process, kept on globalThis): an object with
 * `requestId`, and `userId` / `accountId` once known, merged into every line logged while the request runs.
 * @returns {AsyncLocalStorage<Record<string, string | number>>}
 */
export function requestContext() {
  const holder = /** @type {Record<symbol, AsyncLocalStorage<Record<string, string | number>> | undefined>} */ (
    /** @type {unknown} */ (globalThis)
  );
  return (holder[CONTEXT_KEY] ??= new AsyncLocalStorage());
}

/**
 * The request id to log for an `X-Request-Id` header value (a string, or the array Node gives for repeated
 * headers): the value when it is a single header matching the edge's rule, else undefined.
 * @param {string | string[] | null | undefined} value
 * @returns {string | undefined}
 */
export function requestIdFrom(value) {
  return typeof value === "string" && REQUEST_ID.test(value) ? value : undefined;
}

/**
 * The level for a `LOG_LEVEL` value: the value lower-cased when it is one of {@link LOG_LEVELS}, else `info`
 * (`invalid` is then true so the caller can say so).
 * @param {string | undefined} value
 * @returns {{ level: string, invalid: boolean }}
 */
export function logLevelFrom(value) {
  const level = (value ?? "").trim().toLowerCase();
  if (!level) return { level: "info", invalid: false };
  return LOG_LEVELS.includes(level) ? { level, invalid: false } : { level: "info", invalid: true };
}

/**
 * A pino logger on `env` (LOG_LEVEL) writing to `sink` (an object with `write(line)`): JSON lines with the level's
 * name, an ISO time, pid and hostname, the request context's fields, {@link REDACT_PATHS} censored. Without a sink:
 * pino-pretty (synchronous, in this thread) when stdout is a terminal, else stdout, written synchronously so that no
 * line is lost when the process exits.
 * @param {{ env?: Record<string, string | undefined>, sink?: { write(line: string): unknown } }} [options]
 * @returns {import("pino").Logger}
 */
export function createLogger(options = {}) {
  const env = options.env ?? process.env;
  const { level, invalid } = logLevelFrom(env.LOG_LEVEL);
  const sink = options.sink ?? (process.stdout.isTTY ? pretty({ colorize: true, sync: true }) : pino.destination({ dest: 1, sync: true }));
  const logger = pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...(requestContext().getStore() ?? {}) }),
    },
    /** @type {import("pino").DestinationStream} */ (sink),
  );
  if (invalid) logger.warn(`LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is not one of ${LOG_LEVELS.join(", ")}: logging at info`);
  return logger;
}

/**
 * This process's logger, made on first use (see {@link createLogger}) and kept on globalThis, since Next loads
 * a module once per bundle. Its sink can be switched (`setLogSink`) so tests read the real lines.
 * @returns {import("pino").Logger}
 */
export function processLogger() {
  const holder =
    /** @type {Record<symbol, { logger: import("pino").Logger, sink: { target: { write(line: string): unknown } | null } } | undefined>} */ (
      /** @type {unknown} */ (globalThis)
    );
  let entry = holder[LOGGER_KEY];
  if (!entry) {
    const sink = { target: /** @type {{ write(line: string): unknown } | null} */ (null) };
    const fallback = process.stdout.isTTY ? pretty({ colorize: true, sync: true }) : pino.destination({ dest: 1, sync: true });
    const logger = createLogger({ sink: { write: (line) => (sink.target ?? fallback).write(line) } });
    entry = holder[LOGGER_KEY] = { logger, sink };
  }
  return entry.logger;
}

/**
 * Sends this process's log lines to `target` (an object with `write(line)`) instead of stdout, or back to stdout
 * with null. For tests that read what was logged.
 * @param {{ write(line: string): unknown } | null} target
 */
export function setLogSink(target) {
  processLogger();
  const holder = /** @type {Record<symbol, { sink: { target: { write(line: string): unknown } | null } }>} */ (
    /** @type {unknown} */ (globalThis)
  );
  holder[LOGGER_KEY].sink.target = target;
}
