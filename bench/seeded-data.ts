import { spawnSync } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createTestDatabase, dropTestDatabase } from "@/lib/testing/postgres";

// The seeded data of the benchmarks that run the console on `npm run seed`'s data (bench/ops.ts, bench/pages.ts):
// a temporary data folder holding its SQLite file and repositories, or, under `BENCH_DATABASE=postgres`, its
// repositories beside a database of its own on the bench's PostgreSQL cluster (bench/postgres.ts), which the
// console then runs on (DATABASE_URL, with BENCH_AUTH_SECRET).

/** The AUTH_SECRET of the seed and of the console under test (required with DATABASE_URL). */
export const BENCH_AUTH_SECRET = "bench-pages-auth-secret-0123456789abcdef";

/** Env for child processes, built explicitly (never all of process.env). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production",
    ...extra,
  };
}

/**
 * Under BENCH_DATABASE=postgres, creates the empty database `name` on the bench's cluster (TEST_POSTGRES_URL, set by
 * bench/postgres.ts) and resolves to its URL; otherwise resolves to undefined (the seed goes to a SQLite file).
 */
export async function createSeedDatabase(name: string): Promise<string | undefined> {
  const cluster = process.env.BENCH_DATABASE === "postgres" ? process.env.TEST_POSTGRES_URL : undefined;
  if (process.env.BENCH_DATABASE === "postgres" && !cluster)
    throw new Error("BENCH_DATABASE=postgres without the bench's cluster (bench/run.ts starts it)");
  return cluster ? createTestDatabase(cluster, name) : undefined;
}

/** Drops a database from createSeedDatabase (no-op for undefined). */
export async function dropSeedDatabase(databaseUrl: string | undefined): Promise<void> {
  if (databaseUrl) await dropTestDatabase(databaseUrl);
}

/**
 * Fills `dir` with `npm run seed` of the checkout `root` (accounts, users, applications with repositories, domains
 * with check histories); with `databaseUrl`, the rows go to that PostgreSQL database and `dir` holds the repositories.
 */
export function seedData(root: string, dir: string, size: { accounts: number; domains: number }, databaseUrl?: string): void {
  const run = spawnSync(
    path.join(root, "node_modules", ".bin", "tsx"),
    ["scripts/seed.ts", "--accounts", String(size.accounts), "--domains", String(size.domains)],
    {
      cwd: root,
      env: childEnv({
        DATA_DIR: dir,
        NODE_ENV: "development",
        ...(databaseUrl ? { DATABASE_URL: databaseUrl, AUTH_SECRET: BENCH_AUTH_SECRET } : {}),
      }),
      encoding: "utf8",
    },
  );
  if (run.status !== 0) throw new Error(`seed failed: ${run.stderr || run.stdout}`);
}

/** Runs one statement with `?` placeholders on the seeded database; resolves to its rows (none for a write). */
export type SeedQuery = <T extends Record<string, unknown>>(statement: string, ...values: unknown[]) => Promise<T[]>;

/**
 * Opens the seeded database (the PostgreSQL one at `databaseUrl`, else `dir`/console.db), runs `run` with a query
 * function on it, and closes it. The same SQL runs on both: `?` placeholders become `$1…` on PostgreSQL, whose int8
 * results come back as strings (wrap counts and ids in Number()).
 */
export async function withSeedDatabase<T>(dir: string, databaseUrl: string | undefined, run: (query: SeedQuery) => Promise<T>): Promise<T> {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return await run(async (statement, ...values) => {
        let n = 0;
        return (
          await client.query(
            statement.replace(/\?/g, () => `$${++n}`),
            values,
          )
        ).rows;
      });
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(dir, "console.db"));
  try {
    db.pragma("busy_timeout = 5000");
    return await run(async <R>(statement: string, ...values: unknown[]) => {
      const prepared = db.prepare(statement);
      if (prepared.reader) return prepared.all(...values) as R[];
      prepared.run(...values);
      return [];
    });
  } finally {
    db.close();
  }
}
