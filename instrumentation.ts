/**
 * Runs once when the Node.js server starts (not in build workers): opens the database (applying
 * migrations) and settles operations interrupted by a crash (SPEC §7): account deletions (repositories staged in
 * `DATA_DIR/trash` go back when their rows remain, else are removed) and application creations.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { getDb } = await import("@/db");
  const { cleanupInterruptedCreations } = await import("@/lib/applications/create");
  const { recoverInterruptedDeletions } = await import("@/lib/accounts/delete");
  getDb();
  // Deletions first: a repository moved back from the trash is referenced, so the creation check keeps it.
  const trash = recoverInterruptedDeletions();
  if (trash.restored.length + trash.removed.length > 0) {
    console.log(`start-up check: account deletions: restored ${trash.restored.length}, removed ${trash.removed.length} staged repositories`);
  }
  const removed = cleanupInterruptedCreations();
  if (removed.length > 0) console.log(`start-up check: removed ${removed.length} leftover repositories of interrupted creations`);
}
