/**
 * Runs once when the Node.js server starts (not in build workers): opens the database (applying
 * migrations) and settles operations interrupted by a crash (SPEC §7): account deletions (repositories staged in
 * `DATA_DIR/trash` go back when their rows remain, else are removed), application deletions (an archived repository
 * whose row remains goes back) and application creations. Then starts the background go-live re-checks
 * (every `CHECK_INTERVAL_SECONDS`).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { openDatabase } = await import("@/db");
  const { cleanupInterruptedCreations } = await import("@/lib/applications/create");
  const { recoverInterruptedDeletions } = await import("@/lib/accounts/delete");
  const { recoverInterruptedApplicationDeletions } = await import("@/lib/applications/settings");
  openDatabase();
  // Deletions first: a repository moved back from the trash is referenced, so the creation check keeps it.
  const trash = await recoverInterruptedDeletions();
  if (trash.restored.length + trash.removed.length > 0) {
    console.log(
      `start-up check: account deletions: restored ${trash.restored.length}, removed ${trash.removed.length} staged repositories`,
    );
  }
  const unarchived = await recoverInterruptedApplicationDeletions();
  if (unarchived.length > 0) console.log(`start-up check: application deletions: restored ${unarchived.length} archived repositories`);
  const removed = await cleanupInterruptedCreations();
  if (removed.length > 0) console.log(`start-up check: removed ${removed.length} leftover repositories of interrupted creations`);
  // Background re-checks of due domains (SPEC §3.5), once per process; the lease in checkDomain keeps several
  // processes (this server, `npm run worker`) from checking one domain at once.
  const scheduled = globalThis as { edgeConsoleScheduler?: unknown };
  if (!scheduled.edgeConsoleScheduler) {
    const { startScheduler } = await import("@/lib/dns/scheduler");
    scheduled.edgeConsoleScheduler = startScheduler();
  }
}
