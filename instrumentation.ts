/**
 * Runs once when the Node.js server starts (not in build workers): opens the database (applying
 * migrations) and removes leftovers of an application creation interrupted by a crash (SPEC §7).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { getDb } = await import("@/db");
  const { cleanupInterruptedCreations } = await import("@/lib/applications/create");
  getDb();
  const removed = cleanupInterruptedCreations();
  if (removed.length > 0) console.log(`start-up check: removed ${removed.length} leftover repositories of interrupted creations`);
}
