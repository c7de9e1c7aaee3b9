import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc, gt } from "drizzle-orm";
import { getDb } from "@/db";
import { applications } from "@/db/schema";
import { isLeader } from "@/lib/cluster/leader";
import { log } from "@/lib/log";
import { repositoryPath } from "@/lib/repositories/paths";
import { gitEnv } from "./run";

// Git maintenance of the applications' bare repositories (docs/architecture.md "Git storage and its maintenance",
// "Many instances").
// Console commits write loose objects (git plumbing: hash-object, mktree, commit-tree) and small pushes are unpacked
// into loose objects too, so without upkeep a repository gathers loose objects and small packs forever.
//
// What runs, per repository: `git maintenance run --auto --task=loose-objects --task=incremental-repack`, i.e. the
// two object tasks of git's own "incremental" strategy (git-maintenance(1), "TASKS" and `register`). Both are built
// to run while other git processes serve the repository: loose-objects first deletes only loose objects that are
// already in a pack, then packs the remaining loose objects into a new "loose-" pack; incremental-repack expires packs
// the multi-pack-index no longer references, then repacks small packs into a bigger one. Neither deletes an object
// that is not in another pack, so nothing a running clone or push needs ever goes; unreachable objects are kept
// (packed). The gc task is not used: git-maintenance(1) advises against enabling it together with loose-objects, and
// it deletes stale data. `--auto` makes each task run only past git's thresholds (git-config(1):
// maintenance.loose-objects.auto, default 100 loose objects; maintenance.incremental-repack.auto, default 10 packs
// outside the multi-pack-index), so a repository with nothing to do costs one short git process.
//
// Concurrency: every `git maintenance run` holds `objects/maintenance.lock`; a second one on the same repository
// (another process of the cluster, a push's own auto maintenance) finds it and exits 0 without doing anything
// (git-maintenance(1), "TROUBLESHOOTING"). A lock left by a killed git (SIGKILL, a crash) would stop maintenance of
// that repository for good, so one older than STALE_LOCK_MS is removed. The job is the leader's (lib/cluster/leader);
// on SQLite every process is the leader and git's lock makes the duplicate runs harmless.

/** The git-maintenance(1) tasks run on each repository, in this order. */
export const MAINTENANCE_TASKS = ["loose-objects", "incremental-repack"] as const;
/**
 * A repository with more loose refs than this (files under `refs/`) also gets `git maintenance run --task=pack-refs`,
 * which moves them into `packed-refs` (git-pack-refs(1)). git 2.39's `--auto` skips that task (it has no threshold
 * of its own there), and with `receive.autogc=false` nothing else packs refs, so the console counts them itself. The
 * figure is git-gc's own threshold for loose objects, as a short walk of `refs/` costs about as much as git's count.
 */
export const LOOSE_REFS_AUTO = 100;
/** A repository's run is stopped (its process group gets SIGTERM, then SIGKILL 5 s later) after this long (ms). */
export const MAINTENANCE_TIMEOUT_MS = 5 * 60_000;
/** `objects/maintenance.lock` older than this (ms) was left by a git that died; it is removed. */
export const STALE_LOCK_MS = 60 * 60_000;
/**
 * A temporary pack (`objects/pack/tmp_*`) older than this (ms) was left by a killed git (a run stopped at its time
 * limit, a crash) and is removed: the 2-week grace period git-gc(1) gives unreachable data (gc.pruneExpire). A
 * younger one may belong to a push in progress and is kept.
 */
export const TEMP_PACK_EXPIRE_MS = 14 * 86_400_000;
/** The scheduler's tick (ms): one slice of repositories per tick. */
export const MAINTENANCE_TICK_MS = 60_000;
/** Repositories per tick (the slice), so a pass over 10,000 repositories is spread over 200 ticks. */
export const MAINTENANCE_SLICE = 50;
/** A pass over all repositories starts at most once per this period (ms): git's own schedule runs these tasks daily. */
export const MAINTENANCE_PASS_MS = 24 * 3_600_000;

/**
 * What happened to one repository: `done` (git ran and exited 0 — it may have found nothing to do, or found the lock
 * taken at that moment), `busy` (another `git maintenance run` held the lock: skipped), `missing` (no repository at
 * the path: the application is being deleted), `timed out`, or `failed` (git exited non-zero, or the row is bad).
 */
export type RepositoryOutcome = "done" | "busy" | "missing" | "timed out" | "failed";

/** The outcome of one repository, the time it took (ms) and, for `failed`/`timed out`, git's message. */
export type RepositoryResult = { outcome: RepositoryOutcome; ms: number; error?: string };

/**
 * Runs git's maintenance (MAINTENANCE_TASKS with `--auto`, then `pack-refs` past LOOSE_REFS_AUTO loose refs) on the
 * bare repository at `dir` (an absolute path) and resolves with what happened; never rejects. The child runs at a lower CPU priority (nice 10) with one pack thread
 * (`pack.threads=1`), in its own process group, and is stopped after `timeoutMs` (default MAINTENANCE_TIMEOUT_MS):
 * SIGTERM, on which git removes its lock and temporary packs, then SIGKILL after 5 s. A lock older than
 * `staleLockMs` (default STALE_LOCK_MS) is removed first (logged as a warning), and so are temporary packs older than
 * TEMP_PACK_EXPIRE_MS. A run stopped by SIGTERM may still leave its temporary pack (git's pack-objects does not remove
 * it on a signal), and, when the signal lands between the lock's creation and its registration, the lock: both are
 * removed by a later run once past their age.
 */
export async function maintainRepository(
  dir: string,
  options: { timeoutMs?: number; staleLockMs?: number } = {},
): Promise<RepositoryResult> {
  const started = Date.now();
  const result = (outcome: RepositoryOutcome, error?: string): RepositoryResult => ({ outcome, ms: Date.now() - started, error });
  if (!fs.existsSync(path.join(dir, "objects"))) return result("missing");
  const lock = path.join(dir, "objects", "maintenance.lock");
  const lockAge = ageOf(lock);
  if (lockAge !== null) {
    if (lockAge < (options.staleLockMs ?? STALE_LOCK_MS)) return result("busy");
    log.warn({ repository: dir, lockAgeMs: lockAge }, "[git-maintenance] removing a stale objects/maintenance.lock");
    fs.rmSync(lock, { force: true });
  }
  removeExpiredTempPacks(path.join(dir, "objects", "pack"));
  const timeoutMs = options.timeoutMs ?? MAINTENANCE_TIMEOUT_MS;
  let run = await runMaintenance(dir, ["--auto", ...MAINTENANCE_TASKS.map((t) => `--task=${t}`)], timeoutMs);
  if (run.exitCode === 0 && !run.timedOut && countLooseRefs(path.join(dir, "refs"), LOOSE_REFS_AUTO + 1) > LOOSE_REFS_AUTO) {
    run = await runMaintenance(dir, ["--task=pack-refs"], Math.max(1, timeoutMs - (Date.now() - started)));
  }
  if (run.timedOut) return result("timed out", run.stderr);
  if (run.exitCode === 0) return result("done");
  // The folder went away while git ran (the application was deleted and its repository archived).
  if (!fs.existsSync(path.join(dir, "objects"))) return result("missing");
  return result("failed", run.stderr || `git exited with ${run.exitCode ?? run.signal}`);
}

/** The loose refs (files) under `refsDir`, counted up to `stopAt` (the walk ends there); a missing folder counts 0. */
function countLooseRefs(refsDir: string, stopAt: number): number {
  let count = 0;
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone meanwhile, or never there
    }
    for (const entry of entries) {
      if (count >= stopAt) return;
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else if (entry.isFile() && !entry.name.endsWith(".lock")) count++;
    }
  };
  walk(refsDir);
  return count;
}

/** Age (ms) of the file at `file`, or null when there is none. */
function ageOf(file: string): number | null {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Removes `tmp_*` files older than TEMP_PACK_EXPIRE_MS from `packDir`; a file that vanished meanwhile is fine. */
function removeExpiredTempPacks(packDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(packDir);
  } catch {
    return; // no pack folder yet
  }
  for (const name of names) {
    if (!name.startsWith("tmp_")) continue;
    const file = path.join(packDir, name);
    const age = ageOf(file);
    if (age !== null && age > TEMP_PACK_EXPIRE_MS) fs.rmSync(file, { force: true });
  }
}

/** Spawns `git maintenance run --quiet <options>` for `dir` and resolves when it has exited (or was stopped after `timeoutMs`). */
function runMaintenance(
  dir: string,
  options: readonly string[],
  timeoutMs: number,
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string; timedOut: boolean }> {
  const args = ["-c", "pack.threads=1", "maintenance", "run", "--quiet", ...options];
  return new Promise((resolve) => {
    // detached: its own process group, so a timeout stops git's children (pack-objects, multi-pack-index) too.
    const child = spawn("git", args, { env: gitEnv({ GIT_DIR: dir }), stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    let timedOut = false;
    let killer: NodeJS.Timeout | null = null;
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, 10); // inherited by the children git forks later
      } catch {
        // not permitted here: run at the normal priority
      }
    }
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group has exited already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup("SIGTERM");
      killer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
    }, timeoutMs);
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({ exitCode, signal, stderr: stderr.trim(), timedOut });
    };
    child.on("error", (error) => {
      stderr ||= error.message;
      finish(null, null);
    });
    child.on("close", finish);
  });
}

/** Counts of a pass (or a slice of one): repositories visited and their outcomes, and the time taken (ms). */
export type MaintenanceCounts = {
  visited: number;
  done: number;
  busy: number;
  missing: number;
  timedOut: number;
  failed: number;
  ms: number;
};

/** One slice: its counts, the last application id visited (the next slice starts after it) and whether it was the last. */
export type MaintenanceSlice = MaintenanceCounts & { lastId: number; finished: boolean };

/** Zero counts. */
export function emptyCounts(): MaintenanceCounts {
  return { visited: 0, done: 0, busy: 0, missing: 0, timedOut: 0, failed: 0, ms: 0 };
}

/**
 * Maintains the repositories of the applications with id > `afterId` (default 0), at most `limit` (default
 * MAINTENANCE_SLICE) in id order, `concurrency` at a time (1 or 2; default 1), each with `timeoutMs`
 * (maintainRepository). Only applications in the database are visited: a deleted application's repository (archived,
 * or a folder no row names) is never touched. A repository's failure or timeout is logged with its application id
 * and the slice goes on; rejects only when the database cannot be read. Holds no transaction.
 */
export async function maintainRepositories(
  options: { afterId?: number; limit?: number; concurrency?: number; timeoutMs?: number } = {},
): Promise<MaintenanceSlice> {
  const started = Date.now();
  const limit = options.limit ?? MAINTENANCE_SLICE;
  const rows = await getDb()
    .select({ id: applications.id, repoDir: applications.repoDir })
    .from(applications)
    .where(gt(applications.id, options.afterId ?? 0))
    .orderBy(asc(applications.id))
    .limit(limit);
  const counts = emptyCounts();
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++];
      let r: RepositoryResult;
      try {
        r = await maintainRepository(repositoryPath(row), { timeoutMs: options.timeoutMs });
      } catch (error) {
        r = { outcome: "failed", ms: 0, error: error instanceof Error ? error.message : String(error) };
      }
      counts.visited++;
      if (r.outcome === "timed out") counts.timedOut++;
      else counts[r.outcome]++;
      if (r.outcome === "failed" || r.outcome === "timed out")
        log.error(
          { applicationId: row.id, repoDir: row.repoDir, ms: r.ms },
          `[git-maintenance] repository of application #${row.id} ${r.outcome}: ${r.error ?? ""}`,
        );
    }
  };
  const concurrency = Math.min(2, Math.max(1, options.concurrency ?? 1));
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  counts.ms = Date.now() - started;
  return { ...counts, lastId: rows.length > 0 ? rows[rows.length - 1].id : (options.afterId ?? 0), finished: rows.length < limit };
}

/** A running maintenance schedule; `stop()` cancels the next tick and resolves when a running slice has finished. */
export type GitMaintenanceScheduler = { stop: () => Promise<void> };

/**
 * Starts the periodic git maintenance: every `intervalMs` (default MAINTENANCE_TICK_MS; the next tick is timed from
 * the end of the previous one) the leader (lib/cluster/leader `isLeader()`; every process on SQLite) maintains the
 * next `slice` repositories (default MAINTENANCE_SLICE) with `concurrency` (default 1) and `timeoutMs` each
 * (maintainRepositories). A pass walks all applications in id order; the next pass starts `passMs` (default
 * MAINTENANCE_PASS_MS) after the previous one started, the first one at the first tick. Each finished pass logs one
 * line with its counts and time. Progress is kept in memory: a restarted or newly elected leader starts a new pass
 * (cheap: `--auto` makes git return at once where there is nothing to do). Errors are logged; the timer does not
 * keep the process alive.
 */
export function startGitMaintenance(
  options: { intervalMs?: number; slice?: number; concurrency?: number; timeoutMs?: number; passMs?: number } = {},
): GitMaintenanceScheduler {
  const intervalMs = options.intervalMs ?? MAINTENANCE_TICK_MS;
  const passMs = options.passMs ?? MAINTENANCE_PASS_MS;
  let pass: { startedAt: number; afterId: number; counts: MaintenanceCounts } | null = null;
  let nextPassAt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const slice = async () => {
    if (!isLeader()) return; // once per cluster (docs/architecture.md "Many instances")
    if (!pass) {
      if (Date.now() < nextPassAt) return;
      pass = { startedAt: Date.now(), afterId: 0, counts: emptyCounts() };
    }
    const s = await maintainRepositories({
      afterId: pass.afterId,
      limit: options.slice,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
    });
    pass.afterId = s.lastId;
    for (const key of ["visited", "done", "busy", "missing", "timedOut", "failed"] as const) pass.counts[key] += s[key];
    if (!s.finished) return;
    const c = pass.counts;
    log.info(
      { ...c, ms: Date.now() - pass.startedAt },
      `[git-maintenance] pass over ${c.visited} repositories in ${((Date.now() - pass.startedAt) / 1000).toFixed(1)} s: ` +
        `${c.done} maintained, ${c.busy} busy, ${c.missing} missing, ${c.failed} failed, ${c.timedOut} timed out`,
    );
    nextPassAt = pass.startedAt + passMs;
    pass = null;
  };
  const tick = () => {
    running = slice()
      .catch((error: unknown) => log.error({ err: error }, "[git-maintenance] slice failed"))
      .finally(() => {
        running = null;
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
