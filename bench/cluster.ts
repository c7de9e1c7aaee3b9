import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { createTestDatabase, dropTestDatabase, startTestCluster } from "@/lib/testing/postgres";
import { hashToken } from "@/lib/tokens";
import { domainChecks, fsckRepositories, rowsAgainstRepositories, statusCounters, type CheckResult } from "./cluster-checks";
import { Balancer, LoadRecorder, runUser, type Instance } from "./cluster-load";
import { startKnot, type KnotServer } from "./knot";
import { childEnv } from "./seeded-data";

// `npm run bench -- cluster` (not in CI): a soak of the console as several instances (docs/architecture.md "Many
// instances"). One PostgreSQL (the bench's under BENCH_DATABASE=postgres, else a throwaway cluster of its own), one
// shared DATA_DIR, migrations run once (scripts/migrate.ts), then 3 web instances (CONSOLE_ROLE=web, production
// build, scripts/server.mjs) and 2 workers (CONSOLE_ROLE=worker, scripts/worker.ts) on loopback, and knotd serving
// the zone the users' hostnames live in. Each worker asks its own knotd port, so the `resolver` of a stored check
// names the worker that made it. 50 virtual users (bench/cluster-load.ts), each with its own account and API token,
// cycle through the main flows against the instances round-robin; at 40 % of the run one web instance is SIGKILLed
// and started again 20 s later. At the end everything stops gracefully and bench/cluster-checks.ts checks the
// repositories, the rows and the stored go-live checks. Exits non-zero (process.exitCode) when a check fails or any
// client error was seen.
//
// Settings: CLUSTER_SECONDS (300), CLUSTER_USERS (50), CLUSTER_PORT_BASE (21400: web instances on base..base+2,
// DNS on base+53..base+55), NEXT_DIST_DIR (.next-bench-cluster: built when missing or older than the sources;
// CLUSTER_REUSE_BUILD=1 takes any build there), CLUSTER_KEEP=1 keeps the data folder and logs.

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const ZONE = "cluster.test";
const EDGE_SUFFIX = "edge.localhost";
const WEB_INSTANCES = 3;
const WORKERS = 2;
const CHECK_INTERVAL_SECONDS = 5;
const RESTART_AFTER_MS = 20_000;

type Row = Record<string, string | number>;
type Proc = { name: string; kind: "web" | "worker"; child: ChildProcess; log: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Newest modification time of the build's sources (tests and test helpers excluded: they are not in the build). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".") || /\.test\.tsx?$/.test(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Builds the console into `distDir` unless a build newer than its sources is there (or any, with CLUSTER_REUSE_BUILD=1). `next build` adds the folder's
 * types to tsconfig.json's `include`; the file is put back as it was.
 */
function ensureBuild(distDir: string): void {
  const buildId = path.join(root, distDir, "BUILD_ID");
  const built = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const sources = ["app", "components", "db", "lib", "public"].filter((d) => fs.existsSync(path.join(root, d)));
  if (built && (process.env.CLUSTER_REUSE_BUILD === "1" || !sources.some((d) => newestSource(path.join(root, d)) > built))) return;
  console.log(`cluster: building the console into ${distDir}…`);
  const tsconfig = fs.readFileSync(path.join(root, "tsconfig.json"));
  try {
    const build = spawnSync(path.join(root, "node_modules", ".bin", "next"), ["build"], {
      cwd: root,
      stdio: "inherit",
      env: childEnv({ NEXT_DIST_DIR: distDir, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-build-")) }),
    });
    if (build.status !== 0) throw new Error("next build failed");
  } finally {
    if (!fs.readFileSync(path.join(root, "tsconfig.json")).equals(tsconfig)) fs.writeFileSync(path.join(root, "tsconfig.json"), tsconfig);
  }
}

/** Whether 127.0.0.1:`port` can be bound now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The zone: `*.away` points elsewhere (A 203.0.113.1); names under `live.` and `gone.` do not exist until a user points one. */
const ZONE_RECORDS = [{ name: "*.away", type: "A" as const, value: "203.0.113.1" }];

/** Publishes CNAMEs on knotd in batches (one knotc transaction per batch: knot takes one zone transaction at a time). */
function zoneEditor(knot: KnotServer): (hostname: string) => Promise<void> {
  let queue: { hostname: string; done: () => void; failed: (e: unknown) => void }[] = [];
  let running = false;
  const knotc = (...args: string[]) => execFileAsync("knotc", ["-s", knot.controlSocket, ...args]);
  const flush = async () => {
    running = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await knotc("zone-begin", ZONE);
        for (const { hostname } of batch) await knotc("zone-set", ZONE, `${hostname}.`, "300", "CNAME", `${hostname}.${EDGE_SUFFIX}.`);
        await knotc("zone-commit", ZONE);
        for (const b of batch) b.done();
      } catch (error) {
        await knotc("zone-abort", ZONE).catch(() => {});
        for (const b of batch) b.failed(error);
      }
    }
    running = false;
  };
  return (hostname) =>
    new Promise<void>((done, failed) => {
      queue.push({ hostname, done, failed });
      if (!running) void flush();
    });
}

/** The heap flags `npm start` gives the server (scripts/heap.mjs), so each instance is one process as in production. */
async function heapFlags(): Promise<string[]> {
  const { consoleHeapFlags } = (await import(pathToFileURL(path.join(root, "scripts", "heap.mjs")).href)) as {
    consoleHeapFlags: (env: { CONSOLE_MAX_HEAP_MB?: string }, execArgv: string[]) => string[];
  };
  return consoleHeapFlags({ CONSOLE_MAX_HEAP_MB: process.env.CONSOLE_MAX_HEAP_MB }, []);
}

/** Starts a process in its own process group with stdout and stderr appended to `log`. */
function startProcess(name: string, kind: Proc["kind"], args: string[], env: NodeJS.ProcessEnv, log: string): Proc {
  const fd = fs.openSync(log, "a");
  const child = spawn(process.execPath, args, { cwd: root, detached: true, stdio: ["ignore", fd, fd], env });
  fs.closeSync(fd);
  return { name, kind, child, log };
}

/** Resolves when `check` is true, polling every 250 ms; rejects after `ms` or when `proc` exits. */
async function waitFor(proc: Proc, what: string, check: () => Promise<boolean> | boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${proc.name} exited (see ${proc.log})`);
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`${proc.name}: ${what} not within ${ms / 1000} s (see ${proc.log})`);
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`; resolves to whether it stopped in time. */
async function stopProcess(proc: Proc, graceMs = 15_000): Promise<boolean> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return true;
  const exited = new Promise((r) => proc.child.once("exit", r));
  process.kill(-proc.child.pid!, "SIGTERM");
  const inTime = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!inTime) {
    process.kill(-proc.child.pid!, "SIGKILL");
    await exited;
  }
  return inTime;
}

/** Proportional set size of `pid` (MiB; shared pages split between the processes sharing them), 0 when unreadable. */
function pssMiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Peak memory (MiB) per kind of process, sampled every second: RSS from `ps` of the console processes alone and of
 * their process groups (with their git children), of the workers, knotd and this process; PostgreSQL as the sum of
 * the PSS of the postmaster and its children (their RSS would count the shared buffers once per backend).
 */
function rssSampler(targets: () => { web: number[]; worker: number[]; postmaster: number | null; knotd: number }) {
  const peaks = { webNode: 0, webOne: 0, webAll: 0, workerOne: 0, postgres: 0, knotd: 0, bench: 0 };
  const sample = () => {
    const out = spawnSync("ps", ["-e", "-o", "pid=,ppid=,pgid=,rss="], { encoding: "utf8" }).stdout;
    const rows = out
      .split("\n")
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter((r) => r.length === 4);
    const t = targets();
    const group = (pgid: number) => rows.filter((r) => r[2] === pgid).reduce((s, r) => s + r[3], 0) / 1024;
    const web = t.web.map(group);
    peaks.webNode = Math.max(peaks.webNode, ...t.web.map((pid) => (rows.find((r) => r[0] === pid)?.[3] ?? 0) / 1024));
    peaks.webOne = Math.max(peaks.webOne, ...web);
    peaks.webAll = Math.max(
      peaks.webAll,
      web.reduce((s, n) => s + n, 0),
    );
    peaks.workerOne = Math.max(peaks.workerOne, ...t.worker.map(group));
    if (t.postmaster) {
      const pgRss = rows.filter((r) => r[0] === t.postmaster || r[1] === t.postmaster).reduce((s, r) => s + pssMiB(r[0]), 0);
      peaks.postgres = Math.max(peaks.postgres, pgRss);
    }
    peaks.knotd = Math.max(peaks.knotd, (rows.find((r) => r[0] === t.knotd)?.[3] ?? 0) / 1024);
    peaks.bench = Math.max(peaks.bench, process.memoryUsage().rss / 2 ** 20);
  };
  const timer = setInterval(sample, 1000);
  return () => {
    clearInterval(timer);
    return peaks;
  };
}

/** Inserts `users` users, each the owner of an account, with a personal API token; returns their tokens and accounts. */
async function seedUsers(client: pg.Client, users: number): Promise<{ token: string; accountId: number }[]> {
  const now = Date.now();
  const out: { token: string; accountId: number }[] = [];
  await client.query("BEGIN");
  for (let i = 0; i < users; i++) {
    const user = await client.query<{ id: string }>(
      "INSERT INTO users (email, name, password_hash, email_verified_at, created_at) VALUES ($1, $2, '!', $3, $3) RETURNING id",
      [`user${i}@${ZONE}`, `User ${i}`, now],
    );
    const account = await client.query<{ id: string }>("INSERT INTO accounts (name, created_at) VALUES ($1, $2) RETURNING id", [
      `Account ${i}`,
      now,
    ]);
    await client.query("INSERT INTO memberships (user_id, account_id, role, created_at) VALUES ($1, $2, 'owner', $3)", [
      user.rows[0].id,
      account.rows[0].id,
      now,
    ]);
    const token = `ec_${crypto.randomBytes(32).toString("base64url")}`;
    await client.query(
      "INSERT INTO api_tokens (user_id, name, token_hash, prefix, read_only, created_at) VALUES ($1, 'cluster bench', $2, $3, 0, $4)",
      [user.rows[0].id, hashToken(token), token.slice(0, 7), now],
    );
    out.push({ token, accountId: Number(account.rows[0].id) });
  }
  await client.query("COMMIT");
  return out;
}

/** The PID of the postmaster serving `client` (the parent of its backend), or null. */
async function postmasterOf(client: pg.Client): Promise<number | null> {
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  try {
    const stat = fs.readFileSync(`/proc/${rows[0].pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Runs the soak (see the top of this file) for `seconds` (CLUSTER_SECONDS, default 300) with `users` virtual users
 * (CLUSTER_USERS, default 50) and returns the report's rows: per flow, then memory, errors and the consistency checks.
 */
export async function benchCluster(options: { seconds?: number; users?: number } = {}): Promise<Row[]> {
  const seconds = options.seconds ?? Number(process.env.CLUSTER_SECONDS || 300);
  const userCount = options.users ?? Number(process.env.CLUSTER_USERS || 50);
  const base = Number(process.env.CLUSTER_PORT_BASE || 21400);
  const webPorts = Array.from({ length: WEB_INSTANCES }, (_, i) => base + i);
  const dnsPorts = [base + 53, base + 54, base + 55]; // web instances, worker 1, worker 2
  for (const port of [...webPorts, ...dnsPorts])
    if (!(await canBind(port))) throw new Error(`port ${port} is taken: set CLUSTER_PORT_BASE`);
  const distDir = process.env.NEXT_DIST_DIR || ".next-bench-cluster";
  ensureBuild(distDir);

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-cluster-"));
  const dataDir = path.join(runDir, "data");
  const logs = path.join(runDir, "logs");
  fs.mkdirSync(dataDir);
  fs.mkdirSync(logs);
  console.log(`cluster: data and logs in ${runDir}`);

  const ownCluster = process.env.BENCH_DATABASE === "postgres" && process.env.TEST_POSTGRES_URL ? null : await startTestCluster();
  const clusterUrl = ownCluster?.url ?? process.env.TEST_POSTGRES_URL!;
  const databaseUrl = await createTestDatabase(clusterUrl, `edge_console_cluster_${Date.now().toString(36)}`);
  const knot = await startKnot({ port: dnsPorts[0], extraPorts: dnsPorts.slice(1), zone: ZONE, records: ZONE_RECORDS });
  const authSecret = crypto.randomBytes(32).toString("base64url");
  const common = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: authSecret,
    APP_URL: `http://127.0.0.1:${webPorts[0]}`,
    NEXT_DIST_DIR: distDir,
    EDGE_CNAME_SUFFIX: EDGE_SUFFIX,
    CHECK_INTERVAL_SECONDS: String(CHECK_INTERVAL_SECONDS),
  };
  const procs: Proc[] = [];
  const client = new pg.Client({ connectionString: databaseUrl });
  const rows: Row[] = [];
  let failed = true;
  try {
    const migrate = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/migrate.ts"], {
      cwd: root,
      env: childEnv(common),
      encoding: "utf8",
    });
    if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stderr || migrate.stdout}`);
    console.log(`cluster: ${migrate.stdout.trim()}`);
    await client.connect();
    const seeded = await seedUsers(client, userCount);
    const postmaster = await postmasterOf(client);

    const flags = await heapFlags();
    const web: Proc[] = [];
    const startWeb = (i: number) =>
      startProcess(
        `web${i + 1}`,
        "web",
        [...flags, "scripts/server.mjs"],
        childEnv({ ...common, CONSOLE_ROLE: "web", PORT: String(webPorts[i]), DNS_SERVERS: knot.addresses[0] }),
        path.join(logs, `web${i + 1}.log`),
      );
    const healthy = (port: number) => () =>
      fetch(`http://127.0.0.1:${port}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
    const workerNames = new Map<string, string>();
    for (let i = 0; i < WORKERS; i++) {
      const dns = knot.addresses[1 + i];
      workerNames.set(dns, `worker${i + 1}`);
      const env = childEnv({ ...common, CONSOLE_ROLE: "worker", DNS_SERVERS: dns });
      procs.push(
        startProcess(
          `worker${i + 1}`,
          "worker",
          ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"],
          env,
          path.join(logs, `worker${i + 1}.log`),
        ),
      );
    }
    for (let i = 0; i < WEB_INSTANCES; i++) web.push(startWeb(i));
    procs.push(...web);
    for (const p of procs.filter((p) => p.kind === "worker"))
      await waitFor(p, "start", () => fs.readFileSync(p.log, "utf8").includes("worker: checking due domains"));
    for (let i = 0; i < WEB_INSTANCES; i++) await waitFor(web[i], "/api/health", healthy(webPorts[i]));
    console.log(
      `cluster: ${WEB_INSTANCES} web instances (${webPorts.join(", ")}) and ${WORKERS} workers up; ${userCount} users for ${seconds} s`,
    );

    const instances: Instance[] = webPorts.map((port, i) => ({
      name: `web${i + 1}`,
      base: `http://127.0.0.1:${port}`,
      up: true,
      inflight: new Set(),
      probing: false,
    }));
    const lb = new Balancer(instances);
    const rec = new LoadRecorder();
    const pointAtEdge = zoneEditor(knot);
    const stopRss = rssSampler(() => ({
      web: web.map((p) => p.child.pid!),
      worker: procs.filter((p) => p.kind === "worker").map((p) => p.child.pid!),
      postmaster,
      knotd: knot.pid,
    }));

    // The kill: SIGKILL the second instance (its whole process group: git children too) at 40 % of the run, start it
    // again 20 s later. Its requests in flight at that moment are "killed in flight".
    const victim = 1;
    let killedInFlightAtKill = 0;
    const killAt = Math.round(seconds * 0.4 * 1000);
    const chaos = (async () => {
      await sleep(killAt);
      killedInFlightAtKill = lb.markKilled(instances[victim]);
      process.kill(-web[victim].child.pid!, "SIGKILL");
      console.log(`cluster: t=${Math.round(killAt / 1000)} s SIGKILL ${web[victim].name} with ${killedInFlightAtKill} requests in flight`);
      await sleep(RESTART_AFTER_MS);
      web[victim] = startWeb(victim);
      procs.push(web[victim]);
      await waitFor(web[victim], "/api/health", healthy(webPorts[victim])); // the balancer's probe puts it back
      console.log(`cluster: ${web[victim].name} is back`);
    })();

    const started = Date.now();
    const until = started + seconds * 1000;
    const progress = setInterval(() => {
      const t = Math.round((Date.now() - started) / 1000);
      console.log(`cluster: t=${t} s ${rec.requests} requests, ${rec.errors} client errors, ${rec.killedTotal} killed in flight`);
    }, 15_000);
    const iterations = await Promise.all(
      seeded.map((s, n) =>
        runUser({ n, token: s.token, accountId: s.accountId, zone: ZONE, lb, rec, pointAtEdge, edgeSuffix: EDGE_SUFFIX }, until),
      ),
    );
    const wallMs = Date.now() - started;
    clearInterval(progress);
    await chaos;

    // Stop everything gracefully (SIGTERM; SIGKILL after 15 s), workers last, then check.
    const stoppedInTime: string[] = [];
    for (const p of [...web, ...procs.filter((p) => p.kind === "worker")]) if (!(await stopProcess(p))) stoppedInTime.push(p.name);
    const stoppedAt = Date.now();
    const peaks = stopRss();

    const killedCounts = { creates: rec.createsKilled, deletes: rec.deletesKilled };
    const checks: CheckResult[] = [];
    checks.push(await fsckRepositories(dataDir));
    checks.push(await rowsAgainstRepositories(client, dataDir, killedCounts));
    checks.push(await statusCounters(client));
    const domains = await domainChecks(client, workerNames, stoppedAt, 60_000);
    checks.push(domains.result);
    checks.push({
      name: "client errors",
      ok: rec.errors === 0,
      detail: `${rec.errors} (killed in flight, not counted: ${rec.killedTotal})${rec.examples.length ? `; first: ${rec.examples[0]}` : ""}`,
    });
    if (stoppedInTime.length)
      checks.push({ name: "graceful stop", ok: false, detail: `SIGKILLed after 15 s: ${stoppedInTime.join(", ")}` });

    const stats = rec.stats();
    const empty = {
      section: "",
      name: "",
      requests: "",
      perSecond: "",
      errors: "",
      killed: "",
      p50Ms: "",
      p95Ms: "",
      p99Ms: "",
      maxMs: "",
      value: "",
    };
    for (const s of stats) {
      rows.push({
        ...empty,
        section: "flow",
        name: s.flow,
        requests: s.requests,
        perSecond: round1((s.requests / wallMs) * 1000),
        errors: s.errors,
        killed: s.killed,
        p50Ms: s.p50Ms,
        p95Ms: s.p95Ms,
        p99Ms: s.p99Ms,
        maxMs: s.maxMs,
      });
    }
    const total = iterations.reduce((a, b) => a + b, 0);
    const info = (name: string, value: string) => rows.push({ ...empty, section: "run", name, value });
    info("duration", `${round1(wallMs / 1000)} s, ${userCount} users, ${total} iterations`);
    info(
      "kill",
      `SIGKILL web${victim + 1} at ${Math.round(killAt / 1000)} s (${killedInFlightAtKill} requests in flight), restarted after ${RESTART_AFTER_MS / 1000} s`,
    );
    info(
      "balancer",
      `${rec.refusedRetries} refused connections retried on another instance; ${rec.verifyRetries} Verify now asked again (check in progress)`,
    );
    if (ownCluster) {
      // Serialization failures (SQLSTATE 40001) PostgreSQL logged: writeTransaction retries them, up to 12 attempts.
      const serverLog = fs.readFileSync(path.join(ownCluster.dir, "server.log"), "utf8");
      const failures = serverLog.match(/could not serialize access/g)?.length ?? 0;
      info("PostgreSQL", `${failures} serialization failures (40001) logged, each retried by writeTransaction up to 12 attempts`);
    }
    const mem = (name: string, mib: number) => rows.push({ ...empty, section: "peak RSS", name, value: `${round1(mib)} MiB` });
    mem("web instance (node process), largest", peaks.webNode);
    mem("web instance (with its git children), largest", peaks.webOne);
    mem(`web instances, all ${WEB_INSTANCES}`, peaks.webAll);
    mem("worker, largest", peaks.workerOne);
    mem("PostgreSQL (postmaster + backends, sum of PSS)", peaks.postgres);
    mem("knotd", peaks.knotd);
    mem("bench (load generator)", peaks.bench);
    for (const c of checks) rows.push({ ...empty, section: "check", name: c.name, value: `${c.ok ? "PASS" : "FAIL"} — ${c.detail}` });

    console.log("\ncluster: go-live checks per worker");
    for (const line of domains.lines) console.log(line);
    if (rec.examples.length) console.log(`\ncluster: client errors (first ${rec.examples.length}):\n  ${rec.examples.join("\n  ")}`);
    failed = checks.some((c) => !c.ok);
    if (failed) {
      process.exitCode = 1;
      console.log(
        `\ncluster: FAIL (${checks
          .filter((c) => !c.ok)
          .map((c) => c.name)
          .join(", ")}); data and logs kept in ${runDir}`,
      );
    }
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await stopProcess(p, 5000);
    await client.end().catch(() => {});
    await knot.close();
    await dropTestDatabase(databaseUrl).catch(() => {});
    if (ownCluster) fs.copyFileSync(path.join(ownCluster.dir, "server.log"), path.join(logs, "postgres.log")); // its errors, with DETAIL
    await ownCluster?.stop();
    if (!failed && process.env.CLUSTER_KEEP !== "1") fs.rmSync(runDir, { recursive: true, force: true });
  }
  return rows;
}
