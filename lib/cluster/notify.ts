import pg from "pg";
import { sql } from "drizzle-orm";
import { dialect, type PgDb, type Tx } from "@/db";
import { log } from "@/lib/log";

// Waking the waiters of every instance (docs/architecture.md "Many instances": "Waking other instances"). On
// PostgreSQL a write transaction that changes something requests are waiting for calls `notifyOnCommit`
// (`pg_notify`): PostgreSQL delivers the notification to every session LISTENing on the channel when that
// transaction commits, and drops it when it rolls back (PostgreSQL docs, "NOTIFY"). Each process that has waiters
// keeps one connection of its own for LISTEN (a pooled connection could not stay subscribed), opened when the first
// waiter subscribes, opened again with a growing pause when it drops. A notification sent while it was down is lost,
// so on every (re)connect the subscribers are told to re-read. Nothing here throws into a caller: a connection that
// fails is logged and the waiters fall back to re-reading the database. On SQLite (one machine) nothing is
// listened to: the waiters re-read, as before.

/** A channel name: lower case letters, digits and `_` (an SQL identifier that needs no quoting). */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** `application_name` of the LISTEN connection (pg_stat_activity shows it). */
export const LISTEN_APPLICATION_NAME = "edge-console:listen";
/** The first pause before connecting again after the connection dropped or failed, doubled up to the next (ms). */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 30_000;
/** How often a connected listener checks that its session still answers, and how long it waits for it (ms). */
const PING_EVERY_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;

/** What a subscriber of a channel is told. Its functions must not throw (a throw is logged and ignored). */
export type ChannelListener = {
  /** A notification arrived on the channel; `payload` is the text it was sent with ("" for none). */
  onNotification(payload: string): void;
  /**
   * The channel is listened to from now on (`true`: the connection came up or back; a notification sent before may
   * have been missed, so re-read what you wait for), or no longer (`false`: the connection dropped).
   */
  onReady?(ready: boolean): void;
};

type State = {
  /** The connection, once connected and LISTENing; null while down or connecting. */
  client: pg.Client | null;
  /** The DATABASE_URL `client` was opened for. */
  url: string | null;
  connecting: boolean;
  /** The channels `client` LISTENs on. */
  listening: Set<string>;
  /** Channels a LISTEN was sent for on `client` and not answered yet (a second subscriber sends no other). */
  pendingListens: Set<string>;
  /** Subscribers by channel; a channel stays (with an empty set) once asked for, and is listened to on reconnects. */
  subscribers: Map<string, Set<ChannelListener>>;
  retry: NodeJS.Timeout | null;
  ping: NodeJS.Timeout | null;
  /** The pause before the next reconnect (ms); 0 while the connection is up. */
  backoffMs: number;
  /** Moves on every new connection and on stop: events of an older connection are ignored. */
  generation: number;
};

// On globalThis: Next.js may load this module once per bundle, and there must be one connection per process.
const KEY = Symbol.for("edge-console.listen");

function state(): State {
  const holder = globalThis as unknown as Record<symbol, State | undefined>;
  return (holder[KEY] ??= {
    client: null,
    url: null,
    connecting: false,
    listening: new Set(),
    pendingListens: new Set(),
    subscribers: new Map(),
    retry: null,
    ping: null,
    backoffMs: 0,
    generation: 0,
  });
}

function checkChannel(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) throw new TypeError(`"${channel}" is not a plain channel name (${CHANNEL_NAME})`);
}

/**
 * Inside the caller's write transaction (`tx`): sends `payload` (text; keep it short, PostgreSQL allows under 8000
 * bytes) on `channel` with `pg_notify`, delivered to every listening process when the transaction commits and never
 * when it rolls back (or is run again after a serialization failure: only the committed run's notification goes).
 * Nothing on SQLite. Throws TypeError for a channel name that is not lower case letters, digits and `_`; a database
 * error fails the transaction, like any statement in it.
 */
export async function notifyOnCommit(tx: Tx, channel: string, payload = ""): Promise<void> {
  checkChannel(channel);
  if (dialect() !== "postgres") return;
  await (tx as unknown as PgDb).execute(sql`select pg_notify(${channel}, ${payload})`);
}

function subscribersCount(s: State): number {
  let n = 0;
  for (const set of s.subscribers.values()) n += set.size;
  return n;
}

function tell(s: State, channel: string, fn: (listener: ChannelListener) => void): void {
  for (const listener of [...(s.subscribers.get(channel) ?? [])]) {
    try {
      fn(listener);
    } catch (error) {
      log.error({ err: error, channel }, "[listen] a subscriber failed");
    }
  }
}

/** Opens the connection when a subscriber needs it and none is up, connecting or waiting to retry. */
function ensure(s: State): void {
  if (dialect() !== "postgres") return;
  const url = process.env.DATABASE_URL ?? "";
  // The process moved to another database (tests do): listen there instead.
  if (s.client && s.url !== url) lose(s, s.client, null);
  if (s.client || s.connecting || s.retry || subscribersCount(s) === 0) return;
  s.connecting = true;
  void connect(s, url).finally(() => (s.connecting = false));
}

async function connect(s: State, url: string): Promise<void> {
  const generation = ++s.generation;
  const client = new pg.Client({
    connectionString: url,
    application_name: LISTEN_APPLICATION_NAME,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
  client.on("error", (error) => lose(s, client, error.message));
  client.on("end", () => lose(s, client, "the connection ended"));
  client.on("notification", (message) => {
    if (s.client === client) tell(s, message.channel, (listener) => listener.onNotification(message.payload ?? ""));
  });
  try {
    await client.connect();
    const channels = [...s.subscribers.keys()];
    for (const channel of channels) await client.query(`LISTEN ${channel}`);
    if (generation !== s.generation) {
      await client.end().catch(() => {}); // stopped (or superseded) meanwhile
      return;
    }
    if (s.backoffMs > 0) log.info("[listen] listening again: long-polls wake on changes made by any instance");
    s.client = client;
    s.url = url;
    s.listening = new Set(channels);
    s.backoffMs = 0;
    s.ping = setInterval(() => void ping(s, client), PING_EVERY_MS);
    s.ping.unref();
    for (const channel of channels) tell(s, channel, (listener) => listener.onReady?.(true));
    listenMissing(s, client); // channels first asked for while this connection was being opened
  } catch (error) {
    await client.end().catch(() => {});
    if (generation !== s.generation) return;
    log.warn(
      { err: error },
      "[listen] cannot LISTEN for changes made by other instances: waiting long-polls re-read the database every second meanwhile",
    );
    retryLater(s);
  }
}

/** The session must answer `select 1` within PING_TIMEOUT_MS (a connection cut without a reset never errors). */
async function ping(s: State, client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.query("select 1"),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to a ping within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    lose(s, client, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `client` is no longer usable (`why`: what happened; null for a planned close): the subscribers are told, and, when
 * some are waiting, a reconnect is planned.
 */
function lose(s: State, client: pg.Client, why: string | null): void {
  if (s.client !== client) return;
  s.client = null;
  s.url = null;
  const channels = [...s.listening];
  s.listening = new Set();
  if (s.ping) clearInterval(s.ping);
  s.ping = null;
  void client.end().catch(() => {});
  const waiting = subscribersCount(s) > 0;
  if (why && waiting) log.warn(`[listen] the LISTEN connection dropped (${why}): waiting long-polls re-read every second until it is back`);
  for (const channel of channels) tell(s, channel, (listener) => listener.onReady?.(false));
  if (!why)
    ensure(s); // a planned close (another database): connect to the one in use now
  else if (waiting) retryLater(s); // with nobody waiting, the next subscriber connects
}

function retryLater(s: State): void {
  if (s.retry) return;
  s.backoffMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_FIRST_MS, s.backoffMs * 2));
  s.retry = setTimeout(() => {
    s.retry = null;
    ensure(s); // nothing when nobody waits any more: the next subscriber connects
  }, s.backoffMs);
  s.retry.unref();
}

/** LISTENs on the subscribed channels `client` does not listen on yet; their subscribers then re-read. */
function listenMissing(s: State, client: pg.Client): void {
  for (const channel of s.subscribers.keys()) {
    if (s.listening.has(channel) || s.pendingListens.has(channel)) continue;
    s.pendingListens.add(channel);
    client
      .query(`LISTEN ${channel}`)
      .then(
        () => {
          if (s.client !== client || s.listening.has(channel)) return;
          s.listening.add(channel);
          tell(s, channel, (listener) => listener.onReady?.(true));
        },
        (error: unknown) => lose(s, client, error instanceof Error ? error.message : String(error)),
      )
      .finally(() => s.pendingListens.delete(channel));
  }
}

/**
 * Subscribes `listener` to `channel` in this process and returns the function that unsubscribes it (call it when
 * done waiting; calling it again does nothing). On PostgreSQL the first subscriber opens the process's LISTEN
 * connection (to `DATABASE_URL` now); `listener.onReady(true)` is called once the channel is listened to, and again
 * after every reconnect. On SQLite nothing is listened to and `onReady` is never called. Never throws but for a
 * channel name that is not lower case letters, digits and `_` (TypeError, a programming error).
 */
export function listenChannel(channel: string, listener: ChannelListener): () => void {
  checkChannel(channel);
  const s = state();
  let set = s.subscribers.get(channel);
  if (!set) s.subscribers.set(channel, (set = new Set()));
  set.add(listener);
  if (s.client && s.url === process.env.DATABASE_URL) listenMissing(s, s.client);
  ensure(s);
  return () => void s.subscribers.get(channel)?.delete(listener);
}

/** Whether this process LISTENs on `channel` now (PostgreSQL, connection up). Always false on SQLite. */
export function isListening(channel: string): boolean {
  const s = state();
  return s.client !== null && s.listening.has(channel) && s.url === process.env.DATABASE_URL;
}

/**
 * The process id of the LISTEN connection's server process (`pg_backend_pid()`), or null when it is not up. For
 * tests (they end that session with `pg_terminate_backend`) and diagnostics.
 */
export function listenerBackendPid(): number | null {
  const client = state().client as (pg.Client & { processID?: number }) | null;
  return client?.processID ?? null;
}

/**
 * Closes the LISTEN connection and stops reconnecting (a clean stop: scripts/worker.ts, tests). Subscribers stay; a
 * later {@link listenChannel} opens the connection again. Resolves once the connection is closed; never rejects.
 */
export async function stopListening(): Promise<void> {
  const s = state();
  s.generation += 1; // a connect in progress ends its connection instead of keeping it
  if (s.retry) clearTimeout(s.retry);
  s.retry = null;
  if (s.ping) clearInterval(s.ping);
  s.ping = null;
  s.backoffMs = 0;
  const client = s.client;
  s.client = null;
  s.url = null;
  const channels = [...s.listening];
  s.listening = new Set();
  for (const channel of channels) tell(s, channel, (listener) => listener.onReady?.(false));
  await client?.end().catch(() => {});
}
