import "server-only";
import net from "node:net";
import ipaddr from "ipaddr.js";
import type BetterSqlite3 from "better-sqlite3";
import type { Pool } from "pg";
import { RateLimiterPostgres, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from "rate-limiter-flexible";
import { databaseFile, dialect, pgPool, withWriterClient } from "@/db";
import { isLeader } from "@/lib/cluster/leader";
import { settings, type RateLimitKind } from "@/lib/config";
import { countRateLimitRefusal } from "@/lib/metrics";

export type { RateLimitKind } from "@/lib/config";

/** Outcome of `consumeRateLimit`: allowed, or refused with the wait and a sentence to show the user. */
export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number; message: string };

/**
 * The table the limiters share (one row per limiter and key: `key`, `points`, `expire` in epoch ms), in the
 * console's own database so that limits hold across processes, instances and restarts. rate-limiter-flexible's own
 * store for each dialect counts in it with one atomic upsert per attempt:
 * - SQLite: `RateLimiterSQLite` on the writer connection, only inside `withWriterClient` (under the writer lock, for
 *   the whole of each limiter call, so nothing of it runs on the writer while a `writeTransaction` is open there).
 *   The table is created here with the library's DDL (not by a migration), because the library otherwise creates it
 *   asynchronously and refuses to count until that has finished.
 * - PostgreSQL: `RateLimiterPostgres` on the pool; the table comes from db/migrations-pg/0002_rate_limit_points.sql.
 */
export const RATE_LIMIT_TABLE = "rate_limit_points";

const CLEANUP_EVERY_MS = 5 * 60 * 1000;

type KeyType = "ip" | "email";
type LimiterOptions = { keyPrefix: string; points: number; duration: number };

/** One dialect's way to count: run `fn` with a limiter factory, give one point back, drop ended windows. */
type Store = {
  /**
   * Runs `fn` with this store's limiter factory (SQLite: under the writer lock for the whole of `fn`). The factory
   * makes one limiter per prefix and setting and connection, and hands the same one back after.
   */
  use<T>(fn: (limiter: (options: LimiterOptions) => RateLimiterAbstract) => Promise<T> | T): Promise<T>;
  /** Gives back one point of each full key whose window is still open; never below zero. */
  refund(keys: string[], now: number): Promise<void>;
  /** Deletes the rows whose window ended before `now`. */
  cleanup(now: number): Promise<void>;
};

let cached: { key: unknown; store: Store } | null = null;

/** A limiter factory that makes each (prefix, points, duration) once in `made`. */
function memoized(made: Map<string, RateLimiterAbstract>, make: (options: LimiterOptions) => RateLimiterAbstract) {
  return (options: LimiterOptions) => {
    const id = `${options.keyPrefix}:${options.points}:${options.duration}`;
    let found = made.get(id);
    if (!found) made.set(id, (found = make(options)));
    return found;
  };
}
let lastCleanup = 0;

function sqliteStore(): Store {
  // Per writer connection (a test's restart opens a new one): whether the table exists, and its limiters.
  const prepared = new WeakMap<BetterSqlite3.Database, Map<string, RateLimiterAbstract>>();
  const ready = (client: BetterSqlite3.Database) => {
    let made = prepared.get(client);
    if (made) return made;
    client
      .prepare(`CREATE TABLE IF NOT EXISTS ${RATE_LIMIT_TABLE} (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`)
      .run();
    prepared.set(client, (made = new Map()));
    return made;
  };
  return {
    use: (fn) =>
      withWriterClient((client) => {
        ready(client);
        return fn(
          (options) =>
            new RateLimiterSQLite({
              storeClient: client,
              storeType: "better-sqlite3",
              tableName: RATE_LIMIT_TABLE,
              tableCreated: true,
              ...options,
            }),
        );
      }),
    refund: (keys, now) =>
      withWriterClient((client) => {
        ready(client);
        const refund = client.prepare(
          `UPDATE ${RATE_LIMIT_TABLE} SET points = points - 1 WHERE key = ? AND points > 0 AND (expire IS NULL OR expire > ?)`,
        );
        for (const key of keys) refund.run(key, now);
      }),
    cleanup: (now) =>
      withWriterClient((client) => {
        ready(client);
        client.prepare(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire IS NOT NULL AND expire < ?`).run(now);
      }),
  };
}

function postgresStore(pool: Pool): Store {
  const made = new Map<string, RateLimiterAbstract>();
  return {
    use: async (fn) =>
      fn(
        memoized(
          made,
          (options) =>
            new RateLimiterPostgres({
              storeClient: pool,
              storeType: "pool",
              tableName: RATE_LIMIT_TABLE,
              tableCreated: true,
              clearExpiredByTimeout: false,
              ...options,
            }),
        ),
      ),
    refund: async (keys, now) => {
      for (const key of keys) {
        await pool.query(
          `UPDATE ${RATE_LIMIT_TABLE} SET points = points - 1 WHERE key = $1 AND points > 0 AND (expire IS NULL OR expire > $2)`,
          [key, now],
        );
      }
    },
    cleanup: async (now) => {
      await pool.query(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire IS NOT NULL AND expire < $1`, [now]);
    },
  };
}

/** This process's store, made again when the database changes (tests switch it). */
function currentStore(): Store {
  const postgres = dialect() === "postgres";
  const key = postgres ? pgPool() : databaseFile();
  if (!cached || cached.key !== key) cached = { key, store: postgres ? postgresStore(pgPool()) : sqliteStore() };
  return cached.store;
}

/** Drops rows whose window ended (at most every 5 minutes, on the leader: every process on SQLite). */
async function cleanup(store: Store, now: number): Promise<void> {
  if (now - lastCleanup < CLEANUP_EVERY_MS || !isLeader()) return; // once per cluster: the leader's (lib/cluster/leader)
  lastCleanup = now;
  await store.cleanup(now);
}

function options(kind: RateLimitKind, type: KeyType): LimiterOptions {
  const setting = settings().rateLimits[kind];
  return { keyPrefix: `${kind}:${type}`, points: type === "ip" ? setting.perIp : setting.perEmail, duration: setting.windowSeconds };
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
 * stored in the console's database (rate-limiter-flexible's SQLite or PostgreSQL store). Both are
 * counted on every call; the attempt is refused when either is over its limit (`RATE_LIMIT_<KIND>_PER_IP`,
 * `…_PER_EMAIL`, window `…_WINDOW_SECONDS`), with the longer of the two waits. Emails are normalised (trimmed,
 * lower-cased) before counting. Rejects only when the database fails.
 */
export async function consumeRateLimit(kind: RateLimitKind, keys: { ip?: string | null; email?: string | null }): Promise<RateLimitResult> {
  const now = Date.now();
  const store = currentStore();
  await cleanup(store, now);
  // SQLite: the writer lock is held until both counts have settled.
  const outcomes = await store.use((limiter) =>
    Promise.allSettled(keyValues(keys).map(([type, value]) => limiter(options(kind, type)).consume(value))),
  );

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
  const store = currentStore();
  const fullKeys = await store.use((limiter) => keyValues(keys).map(([type, value]) => limiter(options(kind, type)).getKey(value)));
  await store.refund(fullKeys, Date.now());
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

/**
 * Counts one REST API request of token `tokenId` (docs/product.md §3.6) in fixed windows of `RATE_LIMIT_API_WINDOW_SECONDS`
 * (default 60), at most `RATE_LIMIT_API_PER_TOKEN` (default 600) per window, in the same table as the other
 * limits. Refused: the wait in whole seconds for `Retry-After` (RFC 9110 §10.2.3). Rejects only when the database fails.
 */
export async function consumeApiRateLimit(tokenId: number): Promise<RateLimitResult> {
  const now = Date.now();
  const setting = settings().apiRateLimit;
  const store = currentStore();
  try {
    await cleanup(store, now);
    await store.use((limiter) =>
      limiter({ keyPrefix: "api:token", points: setting.perToken, duration: setting.windowSeconds }).consume(String(tokenId)),
    );
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
