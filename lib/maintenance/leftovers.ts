import fs from "node:fs";
import { writeTransaction } from "@/db";
import { recoverInterruptedDeletions } from "@/lib/accounts/delete";
import { cleanupInterruptedCreations } from "@/lib/applications/repository";
import { recoverInterruptedApplicationDeletions } from "@/lib/applications/settings";
import { archiveDir } from "@/lib/config";
import type { MaintenanceJob } from "@/lib/dns/scheduler";
import { log } from "@/lib/log";

// Leftovers of operations interrupted by a crash (docs/product.md §7; docs/architecture.md, "Data"): an account
// deletion's repositories staged in DATA_DIR/trash, an application deletion's repository moved to DATA_DIR/archive
// while its row remains, and a creation's repository folder that no row names. The console settles them at start
// (instrumentation.ts) and the background scheduler again every 10 minutes (`leftoversJob`, in the console and in
// `npm run worker`), so a crash of a worker or of one console process among several is settled without a
// restart. Several processes may run this at once, and alongside creations and deletions in progress:
//   - only leftovers older than the age guard (60 s) are touched: an operation in progress is younger;
//   - each step reads the rows and moves or removes folders inside a write transaction (BEGIN IMMEDIATE), so no
//     creation or deletion commits between the row check and the move;
//   - the steps run in the start-up order: deletions first, so a repository moved back is referenced when the
//     creation check looks for folders no row names.

/** Leftovers younger than this (ms) are left alone: the operation that made them may still be running. */
export const LEFTOVER_AGE_MS = 60_000;

/** What one pass did, by kind of leftover (folder names). `archivesDeferred`: a recent archive move was left for the next pass. */
export type LeftoverReport = {
  trashRestored: string[];
  trashRemoved: string[];
  archivesRestored: string[];
  archivesDeferred: boolean;
  creationsRemoved: string[];
};

/**
 * Settles leftovers of interrupted account deletions, application deletions and application creations once they are
 * older than `olderThanMs` (default 60 s) at `now` (default: the current time). Archived repositories carry no age of
 * their own (a rename keeps a folder's times), so the archive folder's modification time — which every move into it
 * sets — stands for the newest one: while it is younger than the guard, archives wait for the next pass. `atStart`
 * (the server's start-up check, after a crash: no deletion of this server is running) restores archives at once.
 * fs errors other than vanished entries are thrown.
 */
export async function settleInterruptedOperations(
  options: { olderThanMs?: number; now?: number; atStart?: boolean } = {},
): Promise<LeftoverReport> {
  const olderThanMs = options.olderThanMs ?? LEFTOVER_AGE_MS;
  const now = options.now ?? Date.now();
  const trash = await writeTransaction(() => recoverInterruptedDeletions({ olderThanMs, now }));
  const archivesDeferred = !options.atStart && modifiedWithin(archiveDir(), olderThanMs, now);
  const archivesRestored = archivesDeferred ? [] : await writeTransaction(() => recoverInterruptedApplicationDeletions());
  const creationsRemoved = await writeTransaction(() => cleanupInterruptedCreations({ olderThanMs, now }));
  return { trashRestored: trash.restored, trashRemoved: trash.removed, archivesRestored, archivesDeferred, creationsRemoved };
}

/** How often the background scheduler looks for leftovers (`leftoversJob`). */
export const LEFTOVERS_INTERVAL_MS = 10 * 60_000;

/**
 * The leftovers check as a job of the background scheduler (lib/dns/scheduler.ts `startScheduler`): a pass every
 * `intervalMs` (default 10 minutes), logging what it did.
 */
export function leftoversJob(intervalMs = LEFTOVERS_INTERVAL_MS): MaintenanceJob {
  return {
    name: "leftovers check",
    intervalMs,
    run: async () => {
      const said = describeLeftovers(await settleInterruptedOperations());
      if (said) log.info(`[maintenance] ${said}`);
    },
  };
}

/** One line for the server log describing what a pass did, or null when it did nothing. */
export function describeLeftovers(report: LeftoverReport): string | null {
  const parts: string[] = [];
  if (report.trashRestored.length + report.trashRemoved.length > 0) {
    parts.push(`account deletions: restored ${report.trashRestored.length}, removed ${report.trashRemoved.length} staged repositories`);
  }
  if (report.archivesRestored.length > 0)
    parts.push(`application deletions: restored ${report.archivesRestored.length} archived repositories`);
  if (report.creationsRemoved.length > 0)
    parts.push(`removed ${report.creationsRemoved.length} leftover repositories of interrupted creations`);
  return parts.length > 0 ? parts.join("; ") : null;
}

/** Whether `dir` was modified less than `ms` before `now` (false when it does not exist). */
function modifiedWithin(dir: string, ms: number, now: number): boolean {
  try {
    return now - fs.statSync(dir).mtimeMs <= ms;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
