// vitest globalSetup (vitest.config.ts): with TEST_DATABASE=postgres the whole run goes to one throwaway PostgreSQL
// cluster (lib/testing/postgres.ts); without it, nothing happens and the suite runs on SQLite as always.
import crypto from "node:crypto";
import path from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { createTestDatabase, postgresAvailable, startTestCluster } from "./postgres";

/** The migrated database every test database is copied from (`CREATE DATABASE … TEMPLATE`, lib/testing/temp-data-dir). */
export const TEMPLATE_DATABASE = "edge_console_template";

/** Applies db/migrations-pg to the database at `url`. */
export async function migrateDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: path.join(import.meta.dirname, "..", "..", "db", "migrations-pg") });
  } finally {
    await client.end();
  }
}

const VARS = ["TEST_POSTGRES_URL", "DATABASE_URL", "AUTH_SECRET"] as const;

/**
 * Points this process at a running test cluster: migrates the template (TEMPLATE_DATABASE) every temporary database
 * is copied from, creates and migrates the database `name`, and sets TEST_POSTGRES_URL (the cluster's admin URL),
 * DATABASE_URL (that database) and, when unset, AUTH_SECRET (one random secret, as every instance would share). Used
 * by this setup and by `BENCH_DATABASE=postgres` (bench/postgres.ts).
 */
export async function pointAtTestCluster(clusterUrl: string, name: string): Promise<void> {
  await migrateDatabase(await createTestDatabase(clusterUrl, TEMPLATE_DATABASE));
  const databaseUrl = await createTestDatabase(clusterUrl, name);
  await migrateDatabase(databaseUrl);
  process.env.TEST_POSTGRES_URL = clusterUrl;
  process.env.DATABASE_URL = databaseUrl;
  process.env.AUTH_SECRET ||= crypto.randomBytes(32).toString("base64url");
}

/**
 * Runs once in vitest's main process, before any test file.
 *
 * - `TEST_DATABASE` unset, empty or `sqlite`: does nothing.
 * - `TEST_DATABASE=postgres`: starts one cluster for the run and sets `process.env.TEST_POSTGRES_URL` to its admin URL
 *   (`postgres://postgres@127.0.0.1:<port>/postgres`, for tests that create their own databases) and
 *   `process.env.DATABASE_URL` to a migrated database created for the run, so every test process picks the PostgreSQL dialect
 *   (db/dialect.ts). The forks of `pool: "forks"` are started after this with a copy of the main process's
 *   environment, so they see both. It also migrates `edge_console_template`, which makeTempDataDir copies for each
 *   test's own database. Returns the teardown: it puts the previous values back and stops the cluster
 *   (which removes its folder).
 * - PostgreSQL missing (postgresAvailable()): throws with the reason under CI=true, which fails the run; otherwise
 *   prints "PostgreSQL suite skipped: <reason>" and sets nothing, so the files run on SQLite
 *   (scripts/test-all.mjs checks first and does not start this run at all then).
 * - Any other `TEST_DATABASE` value throws (a typo would otherwise run SQLite while claiming PostgreSQL).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const wanted = process.env.TEST_DATABASE;
  if (!wanted || wanted === "sqlite") return undefined;
  if (wanted !== "postgres") throw new Error(`TEST_DATABASE must be "postgres" or "sqlite" (or unset), not "${wanted}"`);

  const reason = postgresAvailable();
  if (reason) {
    if (process.env.CI === "true") throw new Error(`PostgreSQL suite cannot run (CI=true): ${reason}`);
    console.log(`PostgreSQL suite skipped: ${reason}`);
    return undefined;
  }

  const started = Date.now();
  const cluster = await startTestCluster();
  const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
  try {
    await pointAtTestCluster(cluster.url, "edge_console_test");
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  console.log(`PostgreSQL test cluster on 127.0.0.1:${cluster.port} (${Date.now() - started} ms), database edge_console_test`);

  return async () => {
    for (const name of VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await cluster.stop();
  };
}
