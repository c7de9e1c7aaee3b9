import fs from "node:fs";
import path from "node:path";

// Which DATA_DIR `npm run seed` may write into. A seeded folder carries `seed.json`; a database without it belongs to
// someone's real console and is never touched unless `--force` is given.

/** Name of the marker file `npm run seed` writes into DATA_DIR (its summary). */
export const SEED_MARKER = "seed.json";

/** The entries of DATA_DIR that seeding makes (and `--fresh` removes). */
const SEEDED_ENTRIES = ["console.db", "console.db-wal", "console.db-shm", "repositories", "archive", "trash", SEED_MARKER];

/**
 * Decides whether `dataDir` may be seeded: empty or missing → ok; a database from an earlier seed → ok only with
 * `fresh` (its seeded entries are removed first); a database that was not seeded → refused unless `fresh` and
 * `force` are both given. Returns `{ ok: true, removed }` (the entries removed) or `{ ok: false, message }`.
 */
export function prepareSeedTarget(
  dataDir: string,
  flags: { fresh: boolean; force: boolean },
): { ok: true; removed: string[] } | { ok: false; message: string } {
  const db = path.join(dataDir, "console.db");
  if (!fs.existsSync(db)) return { ok: true, removed: [] };
  const seeded = fs.existsSync(path.join(dataDir, SEED_MARKER));
  if (!flags.fresh) {
    return {
      ok: false,
      message: seeded
        ? `${dataDir} already holds seeded data: add --fresh to replace it.`
        : `${dataDir} holds a console database that was not made by the seed command: refusing to touch it. Point DATA_DIR at an empty folder, or add --fresh --force to delete that database and its repositories.`,
    };
  }
  if (!seeded && !flags.force) {
    return {
      ok: false,
      message: `${dataDir} holds a console database that was not made by the seed command: --fresh deletes it only together with --force.`,
    };
  }
  const removed: string[] = [];
  for (const entry of SEEDED_ENTRIES) {
    const p = path.join(dataDir, entry);
    if (!fs.existsSync(p)) continue;
    fs.rmSync(p, { recursive: true, force: true });
    removed.push(entry);
  }
  return { ok: true, removed };
}
