import crypto from "node:crypto";
import { TEMPLATE_DATABASE, migrateDatabase } from "@/lib/testing/postgres-global-setup";
import { createTestDatabase, startTestCluster } from "@/lib/testing/postgres";

// `BENCH_DATABASE=postgres npm run bench -- <name>` (bench/run.ts): the benchmarks that use lib/testing's temporary
// databases run on a throwaway PostgreSQL cluster of this process instead of SQLite files, for side-by-side figures.
// Must run before anything imports the console's db modules (their tables follow DATABASE_URL from the first import).

/**
 * Starts the cluster, migrates the template every temporary database is copied from, and points this process at it
 * (TEST_POSTGRES_URL, DATABASE_URL, AUTH_SECRET). Resolves to the function that stops the cluster.
 */
export async function startBenchPostgres(): Promise<() => Promise<void>> {
  const cluster = await startTestCluster();
  await migrateDatabase(await createTestDatabase(cluster.url, TEMPLATE_DATABASE));
  const main = await createTestDatabase(cluster.url, "edge_console_bench");
  await migrateDatabase(main);
  process.env.TEST_POSTGRES_URL = cluster.url;
  process.env.DATABASE_URL = main;
  process.env.AUTH_SECRET ||= crypto.randomBytes(32).toString("base64url");
  console.log(`bench: PostgreSQL ${cluster.url.replace(/\/postgres$/, "")} (BENCH_DATABASE=postgres)`);
  return () => cluster.stop();
}
