import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { startDnsServer } from "@/lib/testing/dns-server";
import { BENCH_AUTH_SECRET, childEnv, createSeedDatabase, dropSeedDatabase, seedData, withSeedDatabase } from "./seeded-data";
import { percentile } from "./stats";

// `npm run bench -- pages`: the console's pages whose cost could grow with the data (docs/product.md §3.4–§3.5): the
// account home and an application page, on a small seed (1,000 domains over 100 accounts: 10 per account) and a large
// one (100,000 domains over 100 accounts: 1,000 per account, 125 per application). Each seed gets its own data folder
// (`npm run seed`), the console runs from the build in NEXT_DIST_DIR (default .next; built when missing) through
// scripts/server.mjs on loopback, the first seeded owner signs in through Auth.js's credentials endpoint, and
// autocannon sends 10 concurrent connections to each page. The server is started with bench/spawn-counter.mjs
// preloaded, which counts the processes it starts (git, per request). BENCH_ROOT runs another checkout of the
// console (e.g. an older commit, for before/after figures) with this benchmark; BENCH_PAGES_SEEDS=1k (or 100k) runs one
// seed only; BENCH_SERVER_NODE_OPTIONS passes V8 flags to the server. The server gets the heap cap `npm start` gives it
// (scripts/heap.mjs: CONSOLE_MAX_HEAP_MB, default 192 MiB; CONSOLE_MAX_HEAP_MB=0 measures it uncapped).
// `BENCH_DATABASE=postgres npm run bench -- pages` seeds a database of its own per seed on the bench's PostgreSQL
// cluster (bench/postgres.ts) and runs the console on it (DATABASE_URL), for the same figures on PostgreSQL
// (bench/seeded-data.ts, shared with bench/ops.ts).

const root = path.resolve(process.env.BENCH_ROOT || path.resolve(import.meta.dirname, ".."));
const PORT = Number(process.env.BENCH_PAGES_PORT || 21120);
const BASE = `http://127.0.0.1:${PORT}`;
const OWNER = { email: "seed-owner-1@example.test", password: "seed-password" };
const SEEDS = [
  { name: "1k", accounts: 100, domains: 1000 },
  { name: "100k", accounts: 100, domains: 100_000 },
];

export type PagesBenchRow = {
  seed: string;
  page: string;
  /** Domains of the account (account home) or of the application's Production environment (application page). */
  domains: number;
  htmlKiB: number;
  /** Domain panels in the page's HTML. */
  panels: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** CPU time (user + system) of the server's process group per request. */
  cpuMsPerReq: number;
  /** Processes the server started per request (git), counted by bench/spawn-counter.mjs. */
  spawnsPerReq: number;
  /** Peak RSS of the server's process group during the run (MiB). */
  peakRssMiB: number;
  /** Peaks inside the server process during the run (MiB): V8 heap used and total, and memory outside the heap. */
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  non2xx: number;
};

const round = (n: number) => Math.round(n * 100) / 100;

/** The queries that pick the pages: the first owner's account, its domain count, its application with most Production domains. */
const PICK = {
  account: `SELECT m.account_id AS id FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE u.email = ? AND m.role = 'owner' ORDER BY m.account_id LIMIT 1`,
  count: "SELECT count(*) AS n FROM domains WHERE account_id = ?",
  application: `SELECT d.application_id AS id, count(*) AS n FROM domains d JOIN environments e ON e.id = d.environment_id
                WHERE d.account_id = ? AND e.name = 'Production' GROUP BY d.application_id ORDER BY n DESC, id LIMIT 1`,
};
type Pick = { accountId: number; accountDomains: number; appId: number; appDomains: number };

/**
 * The first owner's account, its domain count, and its application with the most Production domains, read from the
 * seeded database (`databaseUrl`, else the SQLite file in `dir`).
 */
function pickPages(dir: string, databaseUrl: string | undefined): Promise<Pick> {
  return withSeedDatabase(dir, databaseUrl, async (query) => {
    const [account] = await query<{ id: number }>(PICK.account, OWNER.email);
    const accountId = Number(account.id);
    const [{ n }] = await query<{ n: number }>(PICK.count, accountId);
    const [app] = await query<{ id: number; n: number }>(PICK.application, accountId);
    return { accountId, accountDomains: Number(n), appId: Number(app.id), appDomains: Number(app.n) };
  });
}

/** Builds the console into NEXT_DIST_DIR (default .next) unless a build is there. */
function ensureBuild(distDir: string): void {
  if (fs.existsSync(path.join(root, distDir, "BUILD_ID"))) return;
  const build = spawnSync(path.join(root, "node_modules", ".bin", "next"), ["build"], {
    cwd: root,
    stdio: "inherit",
    env: childEnv({ NEXT_DIST_DIR: distDir, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-build-")) }),
  });
  if (build.status !== 0) throw new Error("next build failed");
}

/**
 * The heap flags `npm start` gives the server (scripts/heap.mjs of the checkout under test: CONSOLE_MAX_HEAP_MB,
 * unless `nodeOptions` already sets --max-old-space-size), so that one server process runs as under `npm start`;
 * none for a checkout without scripts/heap.mjs (an older commit: its server runs uncapped, as it did).
 */
async function heapFlags(nodeOptions: string | undefined): Promise<string[]> {
  const heapModule = path.join(root, "scripts", "heap.mjs");
  if (!fs.existsSync(heapModule)) return [];
  const { consoleHeapFlags } = (await import(pathToFileURL(heapModule).href)) as {
    consoleHeapFlags: (env: { CONSOLE_MAX_HEAP_MB?: string; NODE_OPTIONS?: string }, execArgv: string[]) => string[];
  };
  return consoleHeapFlags({ CONSOLE_MAX_HEAP_MB: process.env.CONSOLE_MAX_HEAP_MB, NODE_OPTIONS: nodeOptions }, []);
}

/**
 * Starts scripts/server.mjs (spawn counter preloaded, heap flags as `npm start` gives them) in its own process
 * group; resolves when /api/health answers.
 */
async function startConsole(
  dir: string,
  distDir: string,
  dnsAddress: string,
  countFile: string,
  databaseUrl?: string,
): Promise<ChildProcess> {
  const nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS;
  const child = spawn(
    process.execPath,
    [
      ...(await heapFlags(nodeOptions)),
      "--import",
      pathToFileURL(path.resolve(import.meta.dirname, "spawn-counter.mjs")).href,
      "scripts/server.mjs",
      "--port",
      String(PORT),
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "ignore", "inherit"],
      env: childEnv({
        NEXT_DIST_DIR: distDir,
        DATA_DIR: dir,
        APP_URL: BASE,
        AUTH_SECRET: BENCH_AUTH_SECRET,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        DNS_SERVERS: dnsAddress, // only ever the loopback test server
        CHECK_INTERVAL_SECONDS: "3600", // no background sweep during the measurement
        BENCH_SPAWN_COUNT_FILE: countFile,
        // V8 flags to try on the server, e.g. BENCH_SERVER_NODE_OPTIONS="--max-old-space-size=160" (peak RSS vs req/s).
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
        // The cap the server applies itself when started without one (scripts/server.mjs); 0 in a "before" run.
        ...(process.env.CONSOLE_MAX_HEAP_MB ? { CONSOLE_MAX_HEAP_MB: process.env.CONSOLE_MAX_HEAP_MB } : {}),
      }),
    },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the console exited with ${child.exitCode}`);
    const ok = await fetch(`${BASE}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the console did not start within 60 s");
}

/** Stops the console's whole process group and waits for it to exit. */
async function stopConsole(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

/** Signs the owner in through Auth.js's credentials endpoint; returns the Cookie header of the session. */
async function signIn(): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const at = pair.indexOf("=");
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = await fetch(`${BASE}/api/auth/csrf`);
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${BASE}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookie() },
    body: new URLSearchParams({ csrfToken, email: OWNER.email, password: OWNER.password, callbackUrl: `${BASE}/` }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.includes("session-token")))
    throw new Error(`sign-in failed (${res.status} ${res.headers.get("location")})`);
  return cookie();
}

/** Sums the RSS (KiB → MiB) of every process in the group `pgid`. */
function groupRssMiB(pgid: number): number {
  const out = spawnSync("ps", ["-o", "rss=", "-g", String(pgid)], { encoding: "utf8" }).stdout;
  return out.split("\n").reduce((sum, line) => sum + (Number(line.trim()) || 0), 0) / 1024;
}

/** CPU time (user + system, ms) used so far by the group `pgid`, its reaped children (git) included, from /proc. */
function groupCpuMs(pgid: number): number {
  const pids = spawnSync("ps", ["-o", "pid=", "-g", String(pgid)], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => l.trim());
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid.trim()}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime, stime, cutime, cstime (fields 14–17 of stat): the server's own time and its waited-for children's.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks * 10; // USER_HZ = 100
}

/**
 * Processes started so far by the server, all programs together, and the server's memory peaks since the previous
 * call (bench/spawn-counter.mjs).
 */
async function spawnCount(child: ChildProcess, countFile: string): Promise<{ spawns: number; memory: Record<string, number> }> {
  child.kill("SIGUSR2");
  await new Promise((r) => setTimeout(r, 100));
  const read = <T>(file: string, fallback: T): T => {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8")) as T;
    } catch {
      return fallback;
    }
  };
  const counts = read<Record<string, number>>(countFile, {});
  return { spawns: Object.values(counts).reduce((a, b) => a + b, 0), memory: read(`${countFile}.memory.json`, {}) };
}

/** autocannon with 10 connections for `seconds` against `url`; latencies of every response for exact percentiles. */
async function load(url: string, cookie: string, seconds: number, child: ChildProcess, countFile: string) {
  const pgid = child.pid!;
  const times: number[] = [];
  let peak = groupRssMiB(pgid);
  const cpuBefore = groupCpuMs(pgid);
  const spawnsBefore = (await spawnCount(child, countFile)).spawns;
  const sampler = setInterval(() => (peak = Math.max(peak, groupRssMiB(pgid))), 500);
  const instance = autocannon({ url, connections: 10, duration: seconds, headers: { cookie } });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  const result = await instance;
  clearInterval(sampler);
  const cpuMs = groupCpuMs(pgid) - cpuBefore;
  const after = await spawnCount(child, countFile);
  const spawns = after.spawns - spawnsBefore;
  const mib = (key: string) => round((after.memory[key] ?? 0) / 2 ** 20);
  const total = Math.max(1, result.requests.total);
  times.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    perSecond: round(result.requests.average),
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    p99Ms: round(percentile(times, 99)),
    cpuMsPerReq: round(cpuMs / total),
    spawnsPerReq: round(spawns / total),
    peakRssMiB: round(peak),
    heapUsedMiB: mib("heapUsed"),
    heapTotalMiB: mib("heapTotal"),
    externalMiB: mib("external"),
    non2xx: result.non2xx,
  };
}

/**
 * Benchmarks the account home and the application page (its first page, and a search by hostname prefix) on each
 * seed of `SEEDS`: seeds a temporary data folder, starts the console, signs in as the first owner, checks each page
 * answers 200 with its content, then runs autocannon (10 connections, 2 s warm-up, `seconds` each, default 10).
 * Removes the folders and stops the console afterwards.
 */
export async function benchPages(options: { seconds?: number; seeds?: typeof SEEDS } = {}): Promise<PagesBenchRow[]> {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  ensureBuild(distDir);
  const dnsServer = await startDnsServer();
  const rows: PagesBenchRow[] = [];
  try {
    const only = process.env.BENCH_PAGES_SEEDS?.split(","); // e.g. BENCH_PAGES_SEEDS=100k
    for (const size of (options.seeds ?? SEEDS).filter((s) => !only || only.includes(s.name))) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ec-bench-pages-${size.name}-`));
      const countFile = path.join(dir, "spawn-count.json");
      let child: ChildProcess | null = null;
      const databaseUrl = await createSeedDatabase(`edge_console_pages_${size.name}`);
      try {
        seedData(root, dir, size, databaseUrl);
        const pick = await pickPages(dir, databaseUrl);
        child = await startConsole(dir, distDir, dnsServer.address, countFile, databaseUrl);
        const cookie = await signIn();
        const appPath = `/account/${pick.accountId}/application/${pick.appId}`;
        const pages = [
          { page: "account home", path: `/account/${pick.accountId}`, domains: pick.accountDomains, expect: 'aria-label="Applications"' },
          { page: "application", path: appPath, domains: pick.appDomains, expect: 'data-testid="domain-' },
          { page: "application ?q=shop", path: `${appPath}?q=shop`, domains: pick.appDomains, expect: 'data-testid="domain-' },
        ];
        for (const p of pages) {
          const check = await fetch(BASE + p.path, { headers: { cookie } });
          const html = await check.text();
          if (check.status !== 200 || !html.includes(p.expect)) throw new Error(`${p.path} answered ${check.status} without its content`);
          await load(BASE + p.path, cookie, 2, child, countFile); // warm-up
          rows.push({
            seed: databaseUrl ? `${size.name} pg` : size.name,
            page: p.page,
            domains: p.domains,
            htmlKiB: round(Buffer.byteLength(html) / 1024),
            panels: (html.match(/<article data-testid="domain-/g) ?? []).length,
            ...(await load(BASE + p.path, cookie, options.seconds ?? 10, child, countFile)),
          });
        }
      } finally {
        if (child) await stopConsole(child);
        fs.rmSync(dir, { recursive: true, force: true });
        await dropSeedDatabase(databaseUrl);
      }
    }
  } finally {
    await dnsServer.close();
  }
  return rows;
}
