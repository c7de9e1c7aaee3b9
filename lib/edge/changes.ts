import { AsyncResource } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { databaseIdentity, dialect, getDb, first } from "@/db";
import { applications, edgeStateVersion } from "@/db/schema";
import { edgeVersionEvents } from "./events";
import { reconcileEdgeState, type ReconcileScope } from "./versions";
import { log } from "@/lib/log";

// Telling the edge that what it serves changed (docs/edge.md "Versions"): every path that changes a commit, a
// hostname, an environment or an application calls `noteEdgeChange`, which reconciles the affected environments in
// the background and wakes the long-polls waiting in this process. Other processes (the worker) bump the one-row
// edge_state_version table; waiting polls read it every second, so they see those bumps too.

const events = edgeVersionEvents();

/**
 * An async scope made when this module loads, outside any request or transaction: background reconciles run in it,
 * so a call from inside a `writeTransaction` callback never joins (or waits behind) the caller's transaction.
 */
const detached = new AsyncResource("edge-change");

/** Tells this process's waiting long-polls that the global version is now `version`. */
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
 * or everything when omitted) and reconciles it in the background (docs/edge.md "Versions"). Call it after the
 * change is committed. Never throws: a failed reconcile is logged and healed by the periodic full reconcile. The
 * returned promise settles when the reconcile is done (tests await it; product paths need not).
 */
export function noteEdgeChange(scope: ReconcileScope = {}): Promise<void> {
  const database = databaseIdentity();
  const done = new Promise<void>((resolve) => {
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

/** How often a waiting long-poll reads edge_state_version for changes made by other processes (ms). */
export const EDGE_POLL_INTERVAL_MS = 1000;

/**
 * Waits until the global version is greater than `since`, `waitMs` passed, or `signal` aborted (the client went
 * away), whichever comes first, and resolves to the global version then. Holds no transaction and does not block the
 * event loop: it listens for this process's changes and reads the version table once per second.
 */
export async function waitForEdgeVersion(since: number, waitMs: number, signal?: AbortSignal): Promise<number> {
  const first = await currentEdgeVersion();
  if (first > since || waitMs <= 0 || signal?.aborted) return first;
  return new Promise<number>((resolve) => {
    let done = false;
    let checking = false;
    const finish = (version: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poller);
      events.off("version", onVersion);
      signal?.removeEventListener("abort", onAbort);
      resolve(version);
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
    const onVersion = (version: number) => {
      if (version > since) finish(version);
    };
    const onAbort = () => void currentEdgeVersion().then(finish, () => finish(first));
    const timer = setTimeout(() => void currentEdgeVersion().then(finish, () => finish(first)), waitMs);
    const poller = setInterval(() => void check(), EDGE_POLL_INTERVAL_MS);
    events.on("version", onVersion);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
