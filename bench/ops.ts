import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { closeDb } from "@/db";
import { hashPassword } from "@/lib/auth/password";
import { resetSettings } from "@/lib/config";
import { parseOpsFilter } from "@/lib/ops/filters";
import { getStatusCounts, listOpsDomains } from "@/lib/ops/queries";
import { startDnsServer } from "@/lib/testing/dns-server";
import { postmasterPid, processCpuMs } from "./cpu";
import { BENCH_AUTH_SECRET, childEnv, createSeedDatabase, dropSeedDatabase, seedData, withSeedDatabase } from "./seeded-data";
import { percentile } from "./stats";

// `npm run bench -- ops`: the operator view /ops under load with 1,000 and with 100,000 domains (docs/product.md §3.5: its
// cost must not grow with the table). Each size gets its own data folder filled by `npm run seed` (lib/seed), an
// operator user written straight into the database, and `next start` from the build in NEXT_DIST_DIR (default
// .next; built when missing) on loopback. The operator signs in through Auth.js's credentials endpoint, then
// autocannon sends 10 concurrent connections to the first page and to a filtered page. The floor is the page's own
// queries (counts + one keyset page with its names) run in a loop in this process against the same file.
// `BENCH_DATABASE=postgres npm run bench -- ops` seeds a database of its own per size on the bench's PostgreSQL cluster
// (bench/postgres.ts, bench/seeded-data.ts) and runs the console and the floor on it (DATABASE_URL); its rows say pg.

const root = path.resolve(import.meta.dirname, "..");
const PORT = Number(process.env.BENCH_OPS_PORT || 21110);
const BASE = `http://127.0.0.1:${PORT}`;
const OPERATOR = { email: "ops-bench@example.test", password: "bench operator password" };
const PAGES = { "first page": "/ops", "status=misconfigured&q=s": "/ops?status=misconfigured&q=s" } as const;

export type OpsBenchRow = {
  domains: number;
  page: string;
  kind: "http (10 conns)" | "floor (queries)" | "http pg (10 conns)" | "floor pg (queries)";
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Rows in the table of that page. */
  rows: number;
  /** CPU time (user + system) per request: of the server's process group for HTTP, of this process for the floor. */
  cpuMsPerReq: number;
  /** Peak RSS of the server's process group during the run (MiB); for the floor, of this process. */
  peakRssMiB: number;
  non2xx: number;
  /**
   * PostgreSQL rows only: CPU time per request of the bench's PostgreSQL server (postmaster, backends, autovacuum),
   * which cpuMsPerReq leaves out; on SQLite the database's work is inside cpuMsPerReq.
   */
  pgCpuMsPerReq?: number;
};

const round = (n: number) => Math.round(n * 100) / 100;

/** Adds the operator to the seeded database: a user with a verified email and an argon2id password. */
async function addOperator(dir: string, databaseUrl: string | undefined): Promise<void> {
  const hash = await hashPassword(OPERATOR.password);
  await withSeedDatabase(dir, databaseUrl, (query) =>
    query(
      "insert into users (email, name, password_hash, email_verified_at) values (?, ?, ?, ?)",
      OPERATOR.email,
      "Bench operator",
      hash,
      Date.now(),
    ),
  );
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

/** Starts `next start` in its own process group; resolves when /api/health answers. */
async function startConsole(dir: string, distDir: string, dnsAddress: string, databaseUrl?: string): Promise<ChildProcess> {
  const child = spawn(path.join(root, "node_modules", ".bin", "next"), ["start", "-p", String(PORT), "-H", "127.0.0.1"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
    env: childEnv({
      NEXT_DIST_DIR: distDir,
      DATA_DIR: dir,
      APP_URL: BASE,
      OPERATOR_EMAILS: OPERATOR.email,
      DNS_SERVERS: dnsAddress, // only ever the loopback test server
      CHECK_INTERVAL_SECONDS: "3600", // no background sweep during the measurement
      ...(databaseUrl ? { DATABASE_URL: databaseUrl, AUTH_SECRET: BENCH_AUTH_SECRET } : {}),
    }),
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
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

/** Signs the operator in through Auth.js's credentials endpoint; returns the Cookie header of the session. */
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
    body: new URLSearchParams({ csrfToken, email: OPERATOR.email, password: OPERATOR.password, callbackUrl: `${BASE}/ops` }),
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

/** CPU time (user + system, ms) used so far by every process in the group `pgid`, from /proc (Linux). */
function groupCpuMs(pgid: number): number {
  const pids = spawnSync("ps", ["-o", "pid=", "-g", String(pgid)], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => l.trim());
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid.trim()}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks * 10; // USER_HZ = 100
}

/** autocannon with 10 connections for `seconds` against `url`; latencies of every response for exact percentiles. */
async function load(
  url: string,
  cookie: string,
  seconds: number,
  pgid: number,
  postmaster: number | null,
): Promise<Omit<OpsBenchRow, "domains" | "page" | "kind" | "rows">> {
  const times: number[] = [];
  let peak = groupRssMiB(pgid);
  const cpuBefore = groupCpuMs(pgid);
  const pgCpuBefore = postmaster ? processCpuMs(postmaster, true) : 0;
  const sampler = setInterval(() => (peak = Math.max(peak, groupRssMiB(pgid))), 500);
  const instance = autocannon({ url, connections: 10, duration: seconds, headers: { cookie } });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  const result = await instance;
  clearInterval(sampler);
  const cpuMs = groupCpuMs(pgid) - cpuBefore;
  const pgCpuMs = postmaster ? processCpuMs(postmaster, true) - pgCpuBefore : 0;
  times.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    perSecond: round(result.requests.average),
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    p99Ms: round(percentile(times, 99)),
    cpuMsPerReq: round(cpuMs / Math.max(1, result.requests.total)),
    peakRssMiB: round(peak),
    non2xx: result.non2xx,
    ...(postmaster ? { pgCpuMsPerReq: round(pgCpuMs / Math.max(1, result.requests.total)) } : {}),
  };
}

/**
 * The page's own reads (counts + a keyset page with names) `n` times in this process against the same database (the
 * SQLite file in `dir`, or the PostgreSQL database `databaseUrl`: this process's tables are PostgreSQL's then, as
 * bench/run.ts set DATABASE_URL before importing this module).
 */
async function floor(
  dir: string,
  databaseUrl: string | undefined,
  search: string,
  n: number,
  postmaster: number | null,
): Promise<Omit<OpsBenchRow, "domains" | "page" | "kind">> {
  process.env.DATA_DIR = dir;
  if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
  resetSettings();
  await closeDb();
  const { filter } = parseOpsFilter(Object.fromEntries(new URLSearchParams(search)));
  const times: number[] = [];
  let rows = 0;
  const cpu0 = process.cpuUsage();
  const pgCpu0 = postmaster ? processCpuMs(postmaster, true) : 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await getStatusCounts();
    rows = (await listOpsDomains(filter)).rows.length;
    times.push(performance.now() - start);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const pgCpuMs = postmaster ? processCpuMs(postmaster, true) - pgCpu0 : 0;
  await closeDb();
  times.sort((a, b) => a - b);
  return {
    requests: n,
    perSecond: Math.round((n / wall) * 1000),
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    p99Ms: round(percentile(times, 99)),
    cpuMsPerReq: round((cpu.user + cpu.system) / 1000 / n),
    rows,
    peakRssMiB: round(process.memoryUsage().rss / 2 ** 20),
    non2xx: 0,
    ...(postmaster ? { pgCpuMsPerReq: round(pgCpuMs / n) } : {}),
  };
}

/**
 * Benchmarks /ops for each size in `sizes` (default 1,000 and 100,000 domains; accounts = domains / 100, at least
 * 10): seeds a temporary data folder, starts the console, signs in as an operator, runs autocannon (10 connections,
 * `seconds` each, default 10) on the first page and on `status=misconfigured&q=s`, then the floor. Removes the
 * folders and stops the console afterwards.
 */
export async function benchOps(options: { sizes?: number[]; seconds?: number } = {}): Promise<OpsBenchRow[]> {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  ensureBuild(distDir);
  const dnsServer = await startDnsServer();
  const savedDataDir = process.env.DATA_DIR;
  const savedDatabaseUrl = process.env.DATABASE_URL;
  // BENCH_DATABASE=postgres: the bench's cluster, whose CPU time the PostgreSQL rows add (this process's database is on it).
  const postmaster = process.env.BENCH_DATABASE === "postgres" ? await postmasterPid() : null;
  const rows: OpsBenchRow[] = [];
  try {
    for (const size of options.sizes ?? [1000, 100_000]) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ec-bench-ops-${size}-`));
      let child: ChildProcess | null = null;
      const databaseUrl = await createSeedDatabase(`edge_console_ops_${size}`);
      const [http, queries] = databaseUrl
        ? (["http pg (10 conns)", "floor pg (queries)"] as const)
        : (["http (10 conns)", "floor (queries)"] as const);
      try {
        seedData(root, dir, { accounts: Math.max(10, Math.round(size / 100)), domains: size }, databaseUrl);
        await addOperator(dir, databaseUrl);
        child = await startConsole(dir, distDir, dnsServer.address, databaseUrl);
        const cookie = await signIn();
        for (const [name, pathAndQuery] of Object.entries(PAGES)) {
          const check = await fetch(BASE + pathAndQuery, { headers: { cookie } });
          const html = await check.text();
          if (check.status !== 200 || !html.includes('data-count="total"'))
            throw new Error(`${pathAndQuery} answered ${check.status} without the operator view`);
          const tableRows = (html.match(/data-testid="ops-row-/g) ?? []).length;
          await load(BASE + pathAndQuery, cookie, 2, child.pid!, postmaster); // warm-up
          rows.push({
            domains: size,
            page: name,
            kind: http,
            rows: tableRows,
            ...(await load(BASE + pathAndQuery, cookie, options.seconds ?? 10, child.pid!, postmaster)),
          });
          rows.push({
            domains: size,
            page: name,
            kind: queries,
            ...(await floor(dir, databaseUrl, pathAndQuery.split("?")[1] ?? "", 2000, postmaster)),
          });
        }
      } finally {
        if (child) await stopConsole(child);
        await closeDb();
        fs.rmSync(dir, { recursive: true, force: true });
        await dropSeedDatabase(databaseUrl);
      }
    }
  } finally {
    await dnsServer.close();
    if (savedDataDir === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = savedDataDir;
    if (savedDatabaseUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedDatabaseUrl;
    resetSettings();
  }
  return rows;
}
