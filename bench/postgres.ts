import { pointAtTestCluster } from "@/lib/testing/postgres-global-setup";
import { startTestCluster } from "@/lib/testing/postgres";

// `BENCH_DATABASE=postgres npm run bench -- <name>` (bench/run.ts): the benchmarks that use lib/testing's temporary
// databases run on a throwaway PostgreSQL cluster of this process instead of SQLite files, for side-by-side figures.
// Must run before anything imports the console's db modules (their tables follow DATABASE_URL from the first import).

/** Starts the cluster and points this process at it (pointAtTestCluster). Resolves to the function that stops it. */
export async function startBenchPostgres(): Promise<() => Promise<void>> {
  const cluster = await startTestCluster();
  await pointAtTestCluster(cluster.url, "edge_console_bench");
  console.log(`bench: PostgreSQL ${cluster.url.replace(/\/postgres$/, "")} (BENCH_DATABASE=postgres)`);
  return () => cluster.stop();
}
