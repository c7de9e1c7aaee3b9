// `npm run bench` — runs every benchmark below in turn and prints one table each.
// To add a benchmark: write `bench/<name>.ts` exporting an async function returning rows, and list it here.
// Each bench is imported only when it runs, so one bench's imports cannot stop the others (`npm run bench -- sweep`).

import { createRequire } from "node:module";

type Row = Record<string, string | number>;

const benches: { name: string; run: () => Promise<Row[]> }[] = [
  {
    name: "create application (100, temp SQLite, real git)",
    run: async () => (await import("./create-application")).benchCreateApplication({ n: 100 }),
  },
  {
    name: "go-live DNS checks (1,000 domains, loopback DNS, temp SQLite)",
    run: async () => (await import("./dns-check")).benchDnsChecks({ domains: 1000 }),
  },
  {
    name: "sweep (10,000 due domains, knotd on loopback, temp SQLite) beside a bare resolver loop",
    run: async () => (await import("./sweep")).benchSweep({ domains: 10_000 }),
  },
  {
    name: "ops: /ops first and filtered page, 1,000 vs 100,000 domains (next start, 10 connections) beside its own queries",
    run: async () => (await import("./ops")).benchOps(),
  },
  {
    name: "pages: account home and application page, 10 vs 1,000 domains per account (scripts/server.mjs, 10 connections)",
    run: async () => (await import("./pages")).benchPages(),
  },
  {
    name: "config commit and promote (1,000-commit repository, real git, temp SQLite)",
    run: async () => (await import("./config-git")).benchConfigGit({ history: 1000, n: 50 }),
  },
  {
    name: "git clone (1,000 commits): HTTP through the console's handler vs plain clones from disk",
    run: async () => (await import("./git-clone")).benchGitClone({ commits: 1000, runs: 5 }),
  },
  {
    // The console's HTTPS modules import `server-only`: run with `npx tsx --conditions=react-server bench/run.ts certificates`.
    name: "certificates: domain live → HTTPS on 2 nodes with pebble; one certificate installed on a node holding 1,000",
    run: async () => {
      try {
        createRequire(import.meta.url)("server-only");
      } catch {
        return [{ skipped: "run it as `npx tsx --conditions=react-server bench/run.ts certificates` (server-only modules)" }];
      }
      return (await import("./https")).benchHttps({ runs: 5, held: 1000 });
    },
  },
  {
    name: "purge: a prefix purge effective on 3 local nodes (reported applied, and MISS on each), p95 target 1 s",
    // The console's edge modules import `server-only`: run with `npx tsx --conditions=react-server bench/run.ts purge`.
    run: async () => {
      try {
        createRequire(import.meta.url)("server-only");
      } catch {
        return [{ skipped: "run it as `npx tsx --conditions=react-server bench/run.ts purge` (server-only modules)" }];
      }
      return (await import("./purge")).benchPurge({ runs: 10 });
    },
  },
  {
    name: "traffic: agent CPU per 10,000 log lines, socket loss by line rate, console ingest 50 nodes × 1,000 environments, 7-day chart query × 100 environments",
    // The console's edge modules import `server-only`: run with `npx tsx --conditions=react-server bench/run.ts traffic`.
    run: async () => {
      try {
        createRequire(import.meta.url)("server-only");
      } catch {
        return [{ skipped: "run it as `npx tsx --conditions=react-server bench/run.ts traffic` (server-only modules)" }];
      }
      return (await import("./traffic")).benchTraffic();
    },
  },
  {
    name: "git-maintenance: one pass over 200 repositories (40 console commits each, real git, temp SQLite) beside a shell loop of git maintenance run",
    run: async () => (await import("./git-maintenance")).benchGitMaintenance({ repos: 200, commits: 40 }),
  },
  {
    name: "haproxy-counters: the agent's read of HAProxy's per-environment counters, 1,000 environments, beside the unparsed show stat",
    run: async () => (await import("./haproxy-counters")).benchHaproxyCounters({ environments: 1000, reads: 30 }),
  },
  {
    name: "cluster: 3 web instances and 2 workers on one PostgreSQL and one DATA_DIR, 50 API users for 5 minutes (CLUSTER_SECONDS), one instance SIGKILLed and restarted; consistency checks",
    run: async () => (await import("./cluster")).benchCluster(),
  },
  {
    name: "edge: hits/misses via wrk (http, https) beside origin and nginx floors, 20 applies under load, cold start with 100 environments",
    run: async () => (await import("./edge")).benchEdge({ applies: 20, coldEnvironments: 100 }),
  },
];

/** Prints rows as an aligned text table (numbers right-aligned). */
function printTable(rows: Row[]): void {
  if (rows.length === 0) return console.log("(no rows)");
  const columns = Object.keys(rows[0]);
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const cell = (value: string | number | undefined, i: number) =>
    typeof value === "number" ? String(value).padStart(width[i]) : String(value ?? "").padEnd(width[i]);
  console.log(columns.map((c, i) => c.padEnd(width[i])).join("  "));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(columns.map((c, i) => cell(r[c], i)).join("  "));
}

const only = process.argv[2];
// BENCH_DATABASE=postgres: the benches' temporary databases are PostgreSQL ones (bench/postgres.ts).
const stopPostgres = process.env.BENCH_DATABASE === "postgres" ? await (await import("./postgres")).startBenchPostgres() : null;
for (const bench of benches) {
  if (only && !bench.name.includes(only)) continue;
  console.log(`\n## ${bench.name}${stopPostgres ? " — on PostgreSQL" : ""}\n`);
  const started = performance.now();
  printTable(await bench.run());
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s, node ${process.version})`);
}
await stopPostgres?.();
