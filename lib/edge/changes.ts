import { AsyncResource } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterTransaction, databaseIdentity, dialect, getDb, first } from "@/db";
import { applications, edgeStateVersion } from "@/db/schema";
import { isListening, listenChannel } from "@/lib/cluster/notify";
import { EDGE_VERSION_CHANNEL, edgeVersionEvents } from "./events";
import { reconcileEdgeState, type ReconcileScope } from "./versions";
import { log } from "@/lib/log";

// Telling the edge that what it serves changed (docs/edge.md "Versions"): every path that changes a commit, a
// hostname, an environment or an application calls `noteEdgeChange`, which reconciles the affected environments in
// the background and wakes the long-polls waiting in this process. A move of the one-row edge_state_version table
// made by another process (the worker, another instance) reaches the polls here through PostgreSQL's NOTIFY
// (lib/cluster/notify.ts); on SQLite, and while that connection is down, waiting polls re-read the table every
// second.

const events = edgeVersionEvents();

/**
 * An async scope made when this module loads, outside any request or transaction: background reconciles run in it,
 * so a call from inside a `writeTransaction` callback never joins (or waits behind) the caller's transaction.
 */
const detached = new AsyncResource("edge-change");

/**
 * Tells this process's waiting long-polls that the global version is now `version` (call it after the commit; the
 * other instances were told by the NOTIFY of `bumpEdgeVersion`). Never throws.
 */
export function publishEdgeVersion(version: number): void {
  events.emit("version", version);
}

/** The global desired-state version now (edge_state_version, row 1; 0 before the first change). */
export async function currentEdgeVersion(): Promise<number> {
  const row = await first(getDb().select({ version: edgeStateVersion.version }).from(edgeStateVersion).where(eq(edgeStateVersion.id, 1)));
  return row?.version ?? 0;
}

/**
 * Notes that what the edge should serve may have changed for `scope` (an environment, an application, an account,
 * or everything when omitted) and reconciles it in the background (docs/edge.md "Versions"). Called inside a write
 * transaction, the reconcile starts once that transaction has committed (db `afterTransaction`), and not at all if it
 * rolls back. Never throws: a failed reconcile is logged and healed by the periodic full reconcile. The returned
 * promise settles when the reconcile is done (tests await it; product paths need not; inside a transaction it
 * cannot settle before the transaction ends, so never await it there).
 */
export function noteEdgeChange(scope: ReconcileScope = {}): Promise<void> {
  const database = databaseIdentity();
  const done = new Promise<void>((resolve) => {
    // Called inside a write transaction: start once it has committed (another connection must see its rows; on
    // PostgreSQL a reconcile started before the commit could read without them), and not at all if it rolled back.
    afterTransaction((committed) => {
      if (!committed) return resolve();
      detached.runInAsyncScope(() => {
        setImmediate(() => {
          // The database this change was made in is gone or no longer this process's (a test's temporary folder
          // removed): nothing to reconcile.
          if (databaseIdentity() !== database || (dialect() === "sqlite" && !fs.existsSync(database))) return resolve();
          reconcileEdgeState(scope)
            .catch((error: unknown) => {
              log.error({ err: error }, "edge: reconcile after a change failed (the periodic reconcile will retry)");
            })
            .finally(resolve);
        });
      });
    });
  });
  pending.add(done);
  void done.finally(() => pending.delete(done));
  return done;
}

/** Background reconciles started by noteEdgeChange and not yet done. */
const pending = new Set<Promise<void>>();

/** Resolves when every background reconcile started so far (and any they started) is done (tests, shutdown). */
export async function settleEdgeChanges(): Promise<void> {
  while (pending.size) await Promise.all([...pending]);
}

/**
 * {@link noteEdgeChange} for the application whose bare repository is `repoPath` (callers that know only the
 * repository, such as lib/environments/commit.ts). Never throws; nothing happens when no application has it.
 */
export async function noteEdgeRepositoryChange(repoPath: string): Promise<void> {
  try {
    const row = await first(
      getDb()
        .select({ id: applications.id })
        .from(applications)
        .where(eq(applications.repoDir, path.basename(repoPath))),
    );
    if (row) await noteEdgeChange({ applicationId: row.id });
  } catch (error) {
    log.error({ err: error }, "edge: cannot tell the edge about a commit");
  }
}

/**
 * How often a waiting long-poll re-reads edge_state_version (ms) while this process does not LISTEN for changes
 * (SQLite; PostgreSQL while the LISTEN connection is down or not up yet): changes made by other processes are seen
 * within this time.
 */
export const EDGE_POLL_INTERVAL_MS = 1000;

/**
 * How often a waiting long-poll re-reads edge_state_version (ms) while this process LISTENs (PostgreSQL): a safety
 * net only, for a move that sent no notification (an instance of an older release during a rolling upgrade, a
 * manual UPDATE); every move made by this release wakes the polls through NOTIFY (docs/edge.md "Versions").
 */
export const EDGE_POLL_INTERVAL_LISTENING_MS = 5000;

/** Options of {@link waitForEdgeVersion}. */
export type EdgeWaitOptions = {
  /** Re-read the version every this many ms, whether the process LISTENs or not (tests); default as described there. */
  pollIntervalMs?: number;
  /** Called once the first read found nothing newer than `since` and the wait is armed (tests start a change then). */
  onWaiting?: () => void;
};

/**
 * Waits until the global version is greater than `since`, `waitMs` (ms) passed, or `signal` aborted (the client went
 * away), whichever comes first, and resolves to the global version then. Holds no transaction and does not block the
 * event loop. It wakes on a move made in this process at once and, on PostgreSQL, on a move committed by any
 * instance through NOTIFY (lib/cluster/notify.ts, channel EDGE_VERSION_CHANNEL); it also re-reads the version every
 * EDGE_POLL_INTERVAL_MS (EDGE_POLL_INTERVAL_LISTENING_MS while listening) and whenever the LISTEN connection comes
 * (back) up. Rejects only when the first read of the version fails (a database error); later failed reads are retried.
 */
export async function waitForEdgeVersion(
  since: number,
  waitMs: number,
  signal?: AbortSignal,
  options: EdgeWaitOptions = {},
): Promise<number> {
  if (waitMs <= 0 || signal?.aborted) return currentEdgeVersion();
  let done = false;
  let checking = false;
  let first = since;
  let resolveWait!: (version: number) => void;
  const result = new Promise<number>((resolve) => (resolveWait = resolve));
  /** `end`: the end of the wait; `poll`: the next re-read. */
  const timers: { end?: NodeJS.Timeout; poll?: NodeJS.Timeout } = {};
  const stop = () => {
    done = true;
    clearTimeout(timers.end);
    clearTimeout(timers.poll);
    events.off("version", onVersion);
    unlisten();
    signal?.removeEventListener("abort", onAbort);
  };
  const finish = (version: number) => {
    if (done) return;
    stop();
    resolveWait(version);
  };
  const check = async () => {
    if (checking || done) return;
    checking = true;
    try {
      const version = await currentEdgeVersion();
      if (version > since) finish(version);
    } catch {
      // a failed read is retried at the next tick
    } finally {
      checking = false;
    }
  };
  const interval = () =>
    options.pollIntervalMs ?? (isListening(EDGE_VERSION_CHANNEL) ? EDGE_POLL_INTERVAL_LISTENING_MS : EDGE_POLL_INTERVAL_MS);
  // One re-read timer, armed again after each read (and when the LISTEN connection comes or goes: the interval changes).
  const arm = () => {
    clearTimeout(timers.poll);
    if (done) return;
    timers.poll = setTimeout(() => void check().then(arm), interval());
  };
  const onVersion = (version: number) => {
    if (version > since) finish(version);
  };
  const onAbort = () => void currentEdgeVersion().then(finish, () => finish(first));
  // Subscribed before the first read, so a move landing during that read is not missed.
  events.on("version", onVersion);
  let unlisten = () => {};
  try {
    unlisten = listenChannel(EDGE_VERSION_CHANNEL, {
      onNotification: (payload) => {
        const version = Number(payload);
        if (Number.isSafeInteger(version)) onVersion(version);
        else void check();
      },
      onReady: (ready) => {
        if (ready) void check(); // a notification may have been missed while the connection was down
        arm();
      },
    });
  } catch (error) {
    log.error({ err: error }, "edge: cannot listen for version changes (the long-poll re-reads the version instead)");
  }
  try {
    first = await currentEdgeVersion();
  } catch (error) {
    stop();
    throw error;
  }
  if (first > since || signal?.aborted) finish(first);
  if (done) return result;
  timers.end = setTimeout(() => void currentEdgeVersion().then(finish, () => finish(first)), waitMs);
  arm();
  signal?.addEventListener("abort", onAbort, { once: true });
  options.onWaiting?.();
  return result;
}
