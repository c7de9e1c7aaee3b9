// Benchmark of the desired state (docs/edge.md "Desired state"): its size and build time on the current DATA_DIR,
// e.g. after `npm run seed`. Run: `DATA_DIR=<folder> npx tsx --conditions=react-server lib/edge/state.bench.ts`.
// Prints one JSON line: environments sent, bytes of the JSON, git processes started (one per repository, never one
// per file), and the times of the reconcile, the cold build and the cached build, in milliseconds.
import { pathToFileURL } from "node:url";
import { openDatabase } from "@/db";
import { CatFileBatch } from "./git-batch";
import { buildDesiredState, clearEdgeStateCache } from "./state";
import { reconcileEdgeState } from "./versions";

/** Measures a full reconcile and a full desired state (cold, then from the payload cache) on the open database. */
export async function measureDesiredState(): Promise<{
  environments: number;
  bytes: number;
  gitProcesses: number;
  reconcileMs: number;
  coldMs: number;
  cachedMs: number;
}> {
  let t = performance.now();
  await reconcileEdgeState();
  const reconcileMs = performance.now() - t;
  clearEdgeStateCache();
  const startedBefore = CatFileBatch.started;
  t = performance.now();
  const cold = await buildDesiredState({ name: "bench", drain: false }, 0);
  const bytes = Buffer.byteLength(JSON.stringify(cold));
  const coldMs = performance.now() - t;
  const gitProcesses = CatFileBatch.started - startedBefore;
  t = performance.now();
  await buildDesiredState({ name: "bench", drain: false }, 0);
  const cachedMs = performance.now() - t;
  const round = (n: number) => Math.round(n);
  return {
    environments: cold.environments.length,
    bytes,
    gitProcesses,
    reconcileMs: round(reconcileMs),
    coldMs: round(coldMs),
    cachedMs: round(cachedMs),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await openDatabase();
  console.log(JSON.stringify(await measureDesiredState()));
}
