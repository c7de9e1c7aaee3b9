import fs from "node:fs";
import path from "node:path";
import { dialect, openDatabase } from "@/db";
import { rawReader } from "@/db/raw";

// Which DATA_DIR (and, with DATABASE_URL, which PostgreSQL database) `npm run seed` may write into. A seeded folder
// carries `seed.json`; a database without it belongs to someone's real console and is never touched unless `--force`
// is given. A PostgreSQL database is never emptied: the seed only fills one without users or accounts.

/** Name of the marker file `npm run seed` writes into DATA_DIR (its summary). */
export const SEED_MARKER = "seed.json";

/** The entries of DATA_DIR that seeding makes (and `--fresh` removes). */
const SEEDED_ENTRIES = ["console.db", "console.db-wal", "console.db-shm", "repositories", "archive", "trash", SEED_MARKER];

/**
 * Decides whether `dataDir` may be seeded: empty or missing → ok; a database from an earlier seed → ok only with
 * `fresh` (its seeded entries are removed first); a database that was not seeded → refused unless `fresh` and
 * `force` are both given. With `postgres` (the database is PostgreSQL's, not a file here), the folder's repositories
 * or seed marker stand for the database. Returns `{ ok: true, removed }` (the entries removed) or `{ ok: false, message }`.
 */
export function prepareSeedTarget(
  dataDir: string,
  flags: { fresh: boolean; force: boolean; postgres?: boolean },
): { ok: true; removed: string[] } | { ok: false; message: string } {
  const held = flags.postgres ? ["repositories", SEED_MARKER] : ["console.db"];
  if (!held.some((entry) => fs.existsSync(path.join(dataDir, entry)))) return { ok: true, removed: [] };
  const seeded = fs.existsSync(path.join(dataDir, SEED_MARKER));
  const [what, it, all] = flags.postgres
    ? ["console repositories that were", "them", "them"]
    : ["a console database that was", "it", "that database and its repositories"];
  if (!flags.fresh) {
    return {
      ok: false,
      message: seeded
        ? `${dataDir} already holds seeded data: add --fresh to replace it.`
        : `${dataDir} holds ${what} not made by the seed command: refusing to touch ${it}. Point DATA_DIR at an empty folder, or add --fresh --force to delete ${all}.`,
    };
  }
  if (!seeded && !flags.force) {
    return {
      ok: false,
      message: `${dataDir} holds ${what} not made by the seed command: --fresh deletes ${it} only together with --force.`,
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

/** `database "name" on host:port` for a PostgreSQL URL (without its credentials). */
export function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    return `database "${decodeURIComponent(u.pathname.slice(1))}" on ${u.host || "the local socket"}`;
  } catch {
    return "the database of DATABASE_URL";
  }
}

/**
 * Decides whether the PostgreSQL database of `DATABASE_URL` may be seeded (migrating it first): only when it holds no
 * users and no accounts — `--fresh` and `--force` never empty a PostgreSQL database. Always ok on SQLite, without
 * opening the file (prepareSeedTarget decides about it, and may delete it).
 */
export async function checkSeedDatabase(): Promise<{ ok: true } | { ok: false; message: string }> {
  if (dialect() !== "postgres") return { ok: true };
  await openDatabase();
  const [row] = await rawReader().rows<{ users: number; accounts: number }>(
    "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM accounts) AS accounts",
  );
  if (Number(row.users) === 0 && Number(row.accounts) === 0) return { ok: true };
  return {
    ok: false,
    message: `the PostgreSQL ${describePostgres(process.env.DATABASE_URL ?? "")} already holds ${Number(row.users)} users and ${Number(row.accounts)} accounts: the seed fills only an empty database, and never empties one (--fresh and --force apply to DATA_DIR only). Create an empty database (createdb) and point DATABASE_URL at it.`,
  };
}
