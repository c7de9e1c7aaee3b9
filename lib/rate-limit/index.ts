import "server-only";
import net from "node:net";
import ipaddr from "ipaddr.js";
import type BetterSqlite3 from "better-sqlite3";
import { RateLimiterRes, RateLimiterSQLite } from "rate-limiter-flexible";
import { withWriterClient } from "@/db";
import { settings, type RateLimitKind, type RateLimitSetting } from "@/lib/config";
import { countRateLimitRefusal } from "@/lib/metrics";

export type { RateLimitKind } from "@/lib/config";

/** Outcome of `consumeRateLimit`: allowed, or refused with the wait and a sentence to show the user. */
export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number; message: string };

/**
 * The SQLite table the limiters share (one row per limiter and key: `key`, `points`, `expire` in epoch ms).
 * It lives in the console's own database so limits hold across processes and restarts. It is created here with
 * rate-limiter-flexible's own DDL (not by a migration), because the library otherwise creates it asynchronously
 * and refuses to count until that has finished.
 *
 * The store runs on the database's writer connection, and only inside `withWriterClient` (under the writer lock, for
 * the whole of each limiter call): nothing of it ever runs on the writer while a `writeTransaction` is open there.
 */
export const RATE_LIMIT_TABLE = "rate_limit_points";

const CLEANUP_EVERY_MS = 5 * 60 * 1000;

type KeyType = "ip" | "email";
type Client = BetterSqlite3.Database;
type Limiters = {
  client: Client;
  config: Record<RateLimitKind, RateLimitSetting>;
  byName: Map<string, RateLimiterSQLite>;
};

let limiters: Limiters | null = null;
let lastCleanup = 0;

/**
 * The limiters of this process on the writer connection `client` (call only under `withWriterClient`), rebuilt when
 * the database client or the settings change (tests switch both).
 */
function current(client: Client): Limiters {
  const config = settings().rateLimits;
  if (!limiters || limiters.client !== client || limiters.config !== config) {
    client
      .prepare(`CREATE TABLE IF NOT EXISTS ${RATE_LIMIT_TABLE} (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`)
      .run();
    limiters = { client, config, byName: new Map() };
  }
  return limiters;
}

function limiter(state: Limiters, kind: RateLimitKind, type: KeyType): RateLimiterSQLite {
  const name = `${kind}:${type}`;
  let found = state.byName.get(name);
  if (!found) {
    const setting = state.config[kind];
    found = new RateLimiterSQLite({
      storeClient: state.client,
      storeType: "better-sqlite3",
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      keyPrefix: name,
      points: type === "ip" ? setting.perIp : setting.perEmail,
      duration: setting.windowSeconds,
    });
    state.byName.set(name, found);
  }
  return found;
}

/** Drops rows whose window ended (at most every 5 minutes per process). Call only under `withWriterClient`. */
function cleanup(client: Client, now: number): void {
  if (now - lastCleanup < CLEANUP_EVERY_MS) return;
  lastCleanup = now;
  current(client); // makes sure the table exists
  client.prepare(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire IS NOT NULL AND expire < ?`).run(now);
}

/**
 * The key an IP address is counted under: IPv4 as is, IPv6 by its /64 network (one subscriber usually holds a
 * whole /64, so rotating addresses inside it does not reset the count), anything else as given.
 */
export function ipKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const parsed = ipaddr.process(ip); // IPv4-mapped IPv6 becomes IPv4
  if (parsed.kind() === "ipv4") return parsed.toString();
  return (parsed as ipaddr.IPv6).toNormalizedString().split(":").slice(0, 4).join(":") + "::/64";
}

/** The keys to count, normalised: the IP (IPv6 by /64) and the email (trimmed, lower-cased), each when given. */
function keyValues(keys: { ip?: string | null; email?: string | null }): [KeyType, string][] {
  const out: [KeyType, string][] = [];
  const ip = keys.ip?.trim();
  if (ip) out.push(["ip", ipKey(ip).slice(0, 100)]);
  const email = keys.email?.trim().toLowerCase();
  if (email) out.push(["email", email.slice(0, 320)]);
  return out;
}

/** "Too many attempts. Try again in 3 minutes." for a wait in seconds (rounded up to whole minutes, at least 1). */
export function rateLimitMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many attempts. Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

/**
 * Counts one attempt of `kind` for the client IP and for the email address (each that is given), in fixed windows
 * stored in the console's SQLite database (rate-limiter-flexible `RateLimiterSQLite` on better-sqlite3). Both are
 * counted on every call; the attempt is refused when either is over its limit (`RATE_LIMIT_<KIND>_PER_IP`,
 * `…_PER_EMAIL`, window `…_WINDOW_SECONDS`), with the longer of the two waits. Emails are normalised (trimmed,
 * lower-cased) before counting. Rejects only when the database fails.
 */
export async function consumeRateLimit(kind: RateLimitKind, keys: { ip?: string | null; email?: string | null }): Promise<RateLimitResult> {
  const now = Date.now();
  // The writer lock is held until both counts have settled.
  const outcomes = await withWriterClient((client) => {
    cleanup(client, now);
    const state = current(client);
    return Promise.allSettled(keyValues(keys).map(([type, value]) => limiter(state, kind, type).consume(value)));
  });

  let waitMs = -1;
  for (const outcome of outcomes) {
    if (outcome.status === "fulfilled") continue;
    if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
    waitMs = Math.max(waitMs, outcome.reason.msBeforeNext, 0);
  }
  if (waitMs < 0) return { ok: true };
  countRateLimitRefusal(kind);
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return { ok: false, retryAfterSeconds, message: rateLimitMessage(retryAfterSeconds) };
}

/**
 * Gives back the attempt `consumeRateLimit` just counted for these keys (e.g. a login that succeeded, so only
 * failed attempts use up the limit). Counts never go below zero within a window. Rejects only when the database fails.
 */
export async function refundRateLimit(kind: RateLimitKind, keys: { ip?: string | null; email?: string | null }): Promise<void> {
  // Not the library's `reward()`: on a window that just ended it would store -1 and grant an extra attempt.
  await withWriterClient((client) => {
    const state = current(client);
    const refund = client.prepare(
      `UPDATE ${RATE_LIMIT_TABLE} SET points = points - 1 WHERE key = ? AND points > 0 AND (expire IS NULL OR expire > ?)`,
    );
    const now = Date.now();
    for (const [type, value] of keyValues(keys)) refund.run(limiter(state, kind, type).getKey(value), now);
  });
}

type HeaderSource = { get(name: string): string | null };

/**
 * The client's IP address for rate limits: the first address of `X-Forwarded-For`, else `X-Real-IP`, else
 * "unknown". It trusts these headers as a reverse proxy in front of the console sets them (`next start` itself
 * only fills `X-Forwarded-For` with the socket address when the header is missing). A console reachable without
 * such a proxy lets a client choose its own address, so the per-email limits are the ones that always hold.
 * A header value that is not an IP address is ignored.
 */
export function clientIp(headers: HeaderSource): string {
  const candidates = [headers.get("x-forwarded-for")?.split(",")[0], headers.get("x-real-ip")];
  for (const raw of candidates) {
    const value = raw?.trim().replace(/^\[(.*)\]$/, "$1");
    if (value && net.isIP(value)) return value.toLowerCase();
  }
  return "unknown";
}

let apiLimiter: { client: Client; setting: { perToken: number; windowSeconds: number }; limiter: RateLimiterSQLite } | null = null;

/**
 * Counts one REST API request of token `tokenId` (docs/product.md §3.6) in fixed windows of `RATE_LIMIT_API_WINDOW_SECONDS`
 * (default 60), at most `RATE_LIMIT_API_PER_TOKEN` (default 600) per window, in the same SQLite table as the other
 * limits. Refused: the wait in whole seconds for `Retry-After` (RFC 9110 §10.2.3). Rejects only when the database fails.
 */
export async function consumeApiRateLimit(tokenId: number): Promise<RateLimitResult> {
  const now = Date.now();
  const setting = settings().apiRateLimit;
  try {
    await withWriterClient(async (client) => {
      cleanup(client, now);
      current(client); // makes sure the table exists
      if (!apiLimiter || apiLimiter.client !== client || apiLimiter.setting !== setting) {
        const limiter = new RateLimiterSQLite({
          storeClient: client,
          storeType: "better-sqlite3",
          tableName: RATE_LIMIT_TABLE,
          tableCreated: true,
          keyPrefix: "api:token",
          points: setting.perToken,
          duration: setting.windowSeconds,
        });
        apiLimiter = { client, setting, limiter };
      }
      await apiLimiter.limiter.consume(String(tokenId));
    });
    return { ok: true };
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    countRateLimitRefusal("api");
    const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    return {
      ok: false,
      retryAfterSeconds,
      message: `Too many requests with this token: at most ${setting.perToken} per ${setting.windowSeconds} s. Try again in ${retryAfterSeconds} s.`,
    };
  }
}
