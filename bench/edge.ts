import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { percentile, rssSampler } from "./stats";

// `npm run bench -- edge`: a real edge node on loopback (edge/agent with haproxy and the shared varnishd, docs/edge.md
// "One request"), driven by a fake console state server in this process as edge/agent/agent.test.ts does (building
// and starting the Next console would mostly measure Next; the agent sees the same GET state / POST report contract).
//
// 1. Throughput: wrk (2 threads, 32 keep-alive connections, 5 s each) on one environment with the chain
//    ["varnish"] and the starter VCL: cache hits (one URL) and misses (a new URL per request, a Lua request
//    function), over HTTP and over HTTPS (the agent's default self-signed certificate, HTTP/1.1), beside two floors:
//    the origin (a node http server in a child process) served directly, and the same 1 KiB body as a static file
//    from a plain nginx (tiny config in a temp folder). The body is application/octet-stream so no hop gzips it.
//    The nginx floor and the edge HTTP hit run in turns, 3 times each, and each row keeps its median run.
// 2. Apply: 20 VCL changes (vcl_deliver sets X-Bench-Apply: <n>, new commit and version each) handed out by the
//    fake console while wrk keeps 16 keep-alive connections on the environment's cached URL; commit-to-served is the
//    time from the state change (the agent's long-poll answered) until a request through the edge shows the new
//    header (polled every 100 ms); failed = wrk's socket errors + non-2xx/3xx responses during the whole run.
// 3. Cold start: a second agent (fresh state folder) with 100 environments, each with the varnish chain: time from
//    spawning the agent until every hostname answers 200 from the origin through the edge.
// 4. Peak RSS (VmHWM in /proc/<pid>/status) of haproxy (master, worker), varnishd (manager, cache child) and the
//    agent (`npm run edge`'s edge/dist/agent.mjs with its node flags; EDGE_BENCH_AGENT=tsx runs the TypeScript
//    sources with the tsx loader instead), read at the end of each agent's run. About 40 MiB of a node process's
//    RSS is the node binary itself, shared with every other node process.
//
// Addresses: the edge binds 127.0.0.5 (HTTP 31080/31443, cold start 31180/31543), internal ports from 32000 on
// 127.0.0.5 (varnish admin on 127.0.0.1:32001), origin and nginx on 127.0.0.6:31090/31091 (an origin on the
// node's own address is refused). Every process started here runs in its own process group and is stopped by it.
// `benchEdge({ parts: ["cold"] })` runs the cold start alone.
//
// Figures from one run (2026-12-04 16:07 UTC, 117 s): 2 vCPUs shared with other test runs (load average 5.5 before,
// 7.8 after), and wrk, the origin, nginx and the whole edge share those two cores, so absolute numbers are low and
// noisy; the ratios are what to compare. The run before these changes (same day, load 3.7 → 7) is in brackets.
//
//   what (wrk -t2 -c32, 5 s)          req/s   p50 ms   p99 ms   failed
//   static nginx (floor, median of 3) 29019     0.78     19.0        0   [26550]
//   origin direct (floor)             32749     0.91      8.2        0   [17633]
//   edge http hit (median of 3)       13388     2.05     20.8        0   46% of nginx (target ≥ 30%) [6964, 26%]
//   edge http miss                     3042     9.70     40.9        0   10%  [2381, 9%]
//   edge https hit                    12501     2.12      9.9        0   43%  [6024, 23%]
//   edge https miss                    3296     9.04     35.7        0   11%  [1238, 5%]
//
//   apply: 20 VCL changes under wrk -c16 on the hit URL (10868 req/s): commit-to-served p50 424 ms, p95 745 ms,
//          0 failed requests [p50 2918 ms, p95 4035 ms]
//   cold start, 100 environments with the varnish chain: 45.3 s from agent start to all 100 served [169.6 s; 93 s
//          on a quieter box the same day]: each VCL compiled once (vcl.load; no varnishd -C on the node), gcc -O1
//          without -g, 3 environments prepared at a time (varnishd compiles one VCL at a time: the floor is 100
//          compiles, ~0.2–0.4 s each here). With gcc -O0 instead of -O1 (commit after these runs): 17.4 s and
//          17.9 s, cold start alone (`benchEdge({ parts: ["cold"] })`, load average 6–7)
//   peak RSS (MiB)                   steady node (1 env)   cold node (100 envs)
//     haproxy master / worker              12.6 / 19.6          12.4 / 24.3
//     varnishd manager / child              5.3 / 168.0          5.5 / 42.6   (child: malloc storage of ~18k misses)
//     agent (edge/dist/agent.mjs)                 62.0                 66.8   [tsx loader: 122.8 / 128.3]
//     bench process                              110.6
//
// A second run on a quieter moment (load 2.3 before, 6.6 after): nginx floor 72029 req/s, edge http hit 27855 (39 %),
// https hit 15830 (22 %), applies p50 535 / p95 724 ms, cold start 40.6 s, agent peak RSS 62.2 / 72.5 MiB. The
// less the box is shared, the faster nginx alone gets compared with three processes in a row.
// A third run after gcc -O0 (16:24 UTC, load 5.3 before, 8.0 after, 89 s): nginx floor 26150, edge http hit 8470
// (32 %), https hit 11674 (45 %), applies p50 502 / p95 727 ms, cold start 19.3 s, agent peak RSS 61.7 / 75.0 MiB.
//
// What made the hits faster (measured as CPU per hit of haproxy and varnishd, since req/s alone swings by half on
// this box): HAProxy with one thread on two CPUs (as many hits per second as two threads, fewer wake-ups, lower p99),
// HAProxy → varnishd over a UNIX socket (≈ 10–15 % less CPU in each than loopback TCP), and varnishd's shared memory
// log without per-request timestamps and headers (≈ 10 % of varnishd's CPU per hit). perf showed both processes
// spending most of their time in the kernel (sockets, context switches), not in their own code.

const root = path.resolve(import.meta.dirname, "..");
/** The heap flags of `npm run edge` (package.json), so the figures are those of the agent as run. */
const EDGE_HEAP_FLAGS = (
  /node (.*?) ?edge\/dist\/agent\.mjs/.exec(
    (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.edge ?? "",
  )?.[1] ?? ""
)
  .split(" ")
  .filter((f) => f.startsWith("--"));
const BIND = "127.0.0.5";
const FLOOR_HOST = "127.0.0.6";
const ORIGIN_PORT = 31090;
const NGINX_PORT = 31091;
const INTERNAL_BASE = 32000;
const TOKEN = "en_" + "b".repeat(43);
const HOST = "bench.test";
const BODY_BYTES = 1024;
const STARTER_VCL = fs.readFileSync(path.join(root, "lib/stacks/starters/varnish/default.vcl"), "utf8");

export type EdgeBenchRow = {
  part: string;
  what: string;
  /** Requests (throughput), applies, environments, or "" */
  count: number | "";
  perSecond: number | "";
  p50Ms: number | "";
  /** p99 for throughput, p95 for applies. */
  tailMs: number | "";
  tail: string;
  /** Socket errors + non-2xx/3xx responses (wrk), or environments not served. */
  failed: number | "";
  peakRssMiB: number | "";
};

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const commitFor = (n: number) => n.toString(16).padStart(40, "0");

/** Env for child processes, built explicitly (never all of process.env). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", NODE_ENV: "production", ...extra };
}

/** Started processes, each the leader of its own group; all stopped in `finally`. */
const started: ChildProcess[] = [];
/** The agent being waited for: `until` gives up when it exits. */
let currentAgent: ChildProcess | null = null;

function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv, output?: (s: string) => void): ChildProcess {
  const child = spawn(command, args, { cwd: root, detached: true, env, stdio: ["ignore", "pipe", "pipe"] });
  const sink = (d: Buffer) => output?.(d.toString());
  child.stdout?.on("data", sink);
  child.stderr?.on("data", sink);
  started.push(child);
  return child;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs` if anything of it is left. */
async function stopGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  killGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) killGroup(pid, "SIGKILL");
}

/** The processes an agent's state folder names (its pid files and anything whose command line names it): SIGKILL. */
function killLeftovers(stateDir: string): void {
  const runDir = path.join(stateDir, "run");
  for (const f of fs.existsSync(runDir) ? fs.readdirSync(runDir) : []) {
    if (!f.endsWith(".pid")) continue;
    const pid = Number(fs.readFileSync(path.join(runDir, f), "utf8"));
    if (pid > 1) killGroup(pid, "SIGKILL");
  }
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(stateDir)) process.kill(Number(entry), "SIGKILL");
    } catch {
      // gone, or not ours
    }
  }
}

/** VmHWM of `pid` in MiB, or null when it is gone. */
function peakRss(pid: number): number | null {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
    return Number.isFinite(kb) ? round(kb / 1024, 1) : null;
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function rssRows(label: string, stateDir: string, agentPid: number | undefined): EdgeBenchRow[] {
  const row = (what: string, mib: number | null): EdgeBenchRow => ({
    part: "4 peak RSS",
    what: `${label}: ${what}`,
    count: "",
    perSecond: "",
    p50Ms: "",
    tailMs: "",
    tail: "",
    failed: "",
    peakRssMiB: mib ?? "",
  });
  const rows: EdgeBenchRow[] = [];
  const pidFile = (name: string) => {
    try {
      return Number(fs.readFileSync(path.join(stateDir, "run", `${name}.pid`), "utf8"));
    } catch {
      return 0;
    }
  };
  const haproxy = pidFile("haproxy");
  if (haproxy) {
    rows.push(row("haproxy master", peakRss(haproxy)));
    for (const w of childrenOf(haproxy)) rows.push(row("haproxy worker", peakRss(w)));
  }
  const varnish = pidFile("varnishd");
  if (varnish) {
    rows.push(row("varnishd manager", peakRss(varnish)));
    for (const c of childrenOf(varnish)) rows.push(row("varnishd child", peakRss(c)));
  }
  if (agentPid)
    rows.push(row(process.env.EDGE_BENCH_AGENT === "tsx" ? "agent (node + tsx)" : "agent (node, edge/dist/agent.mjs)", peakRss(agentPid)));
  return rows;
}

// ---------------------------------------------------------------- fake console (docs/edge.md "Desired state")

type Env = Record<string, unknown>;

function fakeConsole() {
  const c = {
    state: { version: 1, environments: [] as Env[] },
    waiters: [] as (() => void)[],
    server: http.createServer(),
    set(version: number, environments: Env[]) {
      c.state = { version, environments };
      for (const w of c.waiters.splice(0)) w();
    },
  };
  const settings = { allowCodeModules: false, allowPrivateOrigins: true, edgeAddresses: [], cnameSuffix: "edge.localhost" };
  c.server.on("request", (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
    if (url.pathname === "/api/edge/v1/report") {
      req.resume();
      req.on("end", () => res.writeHead(204).end());
      return;
    }
    const since = Number(url.searchParams.get("since"));
    let done = false;
    const answer = () => {
      if (done || res.writableEnded) return;
      done = true;
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ ...c.state, settings, full: true, node: { name: "bench", drain: false }, removed: [] }));
    };
    if (c.state.version > since) return answer();
    const timer = setTimeout(answer, 25_000);
    c.waiters.push(() => {
      clearTimeout(timer);
      answer();
    });
  });
  return c;
}

function environment(id: number, hostname: string, version: number, vcl: string): Env {
  return {
    key: `e${id}`,
    version,
    accountId: 1,
    applicationId: id,
    environmentId: id,
    application: hostname,
    name: "Production",
    commit: commitFor(version * 1000 + id),
    hostnames: [hostname],
    secret: `bench-secret-${id}`,
    chain: ["varnish"],
    origin: { address: FLOOR_HOST, port: ORIGIN_PORT },
    alternateOrigins: {},
    ipBlacklist: [],
    files: { "varnish/default.vcl": vcl },
    certificates: [],
    acmeChallenges: [],
  };
}

const applyVcl = (n: number) =>
  STARTER_VCL.replace("unset resp.http.Via;", `unset resp.http.Via;\n    set resp.http.X-Bench-Apply = "${n}";`);

// ---------------------------------------------------------------- HTTP helpers

function get(port: number, host: string, urlPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders } | null> {
  return new Promise((resolve) => {
    const req = http.request({ host: BIND, port, path: urlPath, headers: { host }, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
    req.end();
  });
}

async function until(what: string, timeoutMs: number, fn: () => Promise<boolean>, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    if (currentAgent && (currentAgent.exitCode !== null || currentAgent.signalCode !== null))
      throw new Error(`the edge agent exited while waiting for ${what}\n${log().slice(-3000)}`);
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}\n${log().slice(-3000)}`);
}

// ---------------------------------------------------------------- wrk

const WRK_DONE = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_JSON {\\"requests\\":%d,\\"durationUs\\":%d,\\"errors\\":%d,\\"status\\":%d,\\"p50\\":%d,\\"p99\\":%d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`;
// A new URL per request: each thread numbers its own requests under a prefix from the command line and its id.
const WRK_MISS = `
local n = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  prefix = "/miss/" .. (args[1] or "x") .. "-" .. tostring(tid) .. "/"
end
function request()
  n = n + 1
  return wrk.format(nil, prefix .. n)
end
${WRK_DONE}`;

type WrkResult = { requests: number; durationUs: number; errors: number; status: number; p50: number; p99: number };

function wrk(
  dir: string,
  url: string,
  options: { host?: string; miss?: string; connections?: number; seconds?: number },
): { child: ChildProcess; result: Promise<WrkResult> } {
  const script = path.join(dir, options.miss ? "miss.lua" : "done.lua");
  const connections = options.connections ?? 32;
  const args = ["-t", "2", "-c", String(connections), "-d", `${options.seconds ?? 5}s`, "--timeout", "5s", "-s", script];
  if (options.host) args.push("-H", `Host: ${options.host}`);
  args.push(url);
  if (options.miss) args.push("--", options.miss);
  let out = "";
  const child = startGroup("wrk", args, childEnv(), (s) => (out += s));
  const result = new Promise<WrkResult>((resolve, reject) => {
    child.on("close", (code) => {
      const json = /WRK_JSON (\{.*\})/.exec(out)?.[1];
      if (!json) return reject(new Error(`wrk ${url} gave no result (exit ${code}): ${out.slice(-1000)}`));
      resolve(JSON.parse(json) as WrkResult);
    });
  });
  return { child, result };
}

/** Runs of the floor and of the edge hit, taken in turns (see benchEdge). */
const ROUNDS = 3;

/** The run with the median rate. */
function median(runs: readonly WrkResult[]): WrkResult {
  const rate = (r: WrkResult) => r.requests / r.durationUs;
  return [...runs].sort((a, b) => rate(a) - rate(b))[Math.floor(runs.length / 2)];
}

function throughputRow(what: string, r: WrkResult): EdgeBenchRow {
  return {
    part: "1 throughput",
    what,
    count: r.requests,
    perSecond: Math.round(r.requests / (r.durationUs / 1e6)),
    p50Ms: round(r.p50 / 1000),
    tailMs: round(r.p99 / 1000),
    tail: "p99",
    failed: r.errors + r.status,
    peakRssMiB: "",
  };
}

// ---------------------------------------------------------------- agent

/** What runs the agent: `npm run edge`'s bundle (edge/build.mjs), or EDGE_BENCH_AGENT=tsx for the TypeScript sources. */
const AGENT_ARGS =
  process.env.EDGE_BENCH_AGENT === "tsx" ? ["--import", "tsx", "edge/agent/main.ts"] : [...EDGE_HEAP_FLAGS, "edge/dist/agent.mjs"];

function startAgent(stateDir: string, consolePort: number, httpPort: number, log: (s: string) => void): ChildProcess {
  // node itself (not npm or the tsx wrapper): the agent leads the group and gets the signals.
  currentAgent = startGroup(
    process.execPath,
    AGENT_ARGS,
    childEnv({
      NODE_ENV: "production",
      EDGE_NODE_TOKEN: TOKEN,
      CONSOLE_URL: `http://127.0.0.1:${consolePort}`,
      EDGE_BIND_ADDRESS: BIND,
      EDGE_HTTP_PORT: String(httpPort),
      EDGE_HTTPS_PORT: String(httpPort + 363), // 31080 → 31443
      EDGE_STATE_DIR: stateDir,
      EDGE_INTERNAL_PORT_BASE: String(INTERNAL_BASE),
      EDGE_INTERNAL_ADDRESS: BIND,
    }),
    log,
  );
  return currentAgent;
}

/**
 * Runs the edge benchmark (see the comment at the top of this file). Needs haproxy, varnishd, nginx, openssl and wrk
 * (scripts/install-system-packages.sh). `applies` (default 20) VCL changes, `coldEnvironments` (default 100).
 */
export async function benchEdge(
  options: { applies?: number; coldEnvironments?: number; parts?: readonly ("steady" | "cold")[] } = {},
): Promise<EdgeBenchRow[]> {
  const applies = options.applies ?? 20;
  const coldCount = options.coldEnvironments ?? 100;
  const parts = new Set(options.parts ?? ["steady", "cold"]);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-edge-"));
  fs.chmodSync(tmp, 0o711); // varnishd's own users (as root) must reach the state folders inside
  const rows: EdgeBenchRow[] = [];
  const stopBenchRss = rssSampler();
  const con = fakeConsole();
  let agentLog = "";
  const log = (s: string) => {
    agentLog = (agentLog + s).slice(-20_000);
  };
  const stateDirs: string[] = [];
  if (process.env.EDGE_BENCH_AGENT !== "tsx") execFileSync(process.execPath, ["edge/build.mjs"], { cwd: root, stdio: "inherit" });
  try {
    fs.writeFileSync(path.join(tmp, "done.lua"), WRK_DONE);
    fs.writeFileSync(path.join(tmp, "miss.lua"), WRK_MISS);
    await new Promise<void>((r) => con.server.listen(0, "127.0.0.1", r));
    const consolePort = (con.server.address() as { port: number }).port;

    // The origin: a node http server in its own process (not this event loop, which polls the edge).
    const originJs = path.join(tmp, "origin.cjs");
    fs.writeFileSync(
      originJs,
      `const body = Buffer.alloc(${BODY_BYTES}, "x");
require("node:http").createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/octet-stream", "cache-control": "public, max-age=3600" });
  res.end(body);
}).listen(${ORIGIN_PORT}, "${FLOOR_HOST}", () => console.log("listening"));`,
    );
    const origin = startGroup(process.execPath, [originJs], childEnv());
    // nginx with a tiny configuration: one static file of the same size.
    fs.mkdirSync(path.join(tmp, "www"));
    fs.writeFileSync(path.join(tmp, "www", "hit"), Buffer.alloc(BODY_BYTES, "x"));
    fs.writeFileSync(
      path.join(tmp, "nginx.conf"),
      `daemon off;
worker_processes 1;
pid ${tmp}/nginx.pid;
error_log ${tmp}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fcgi;
  uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  keepalive_requests 1000000;
  server { listen ${FLOOR_HOST}:${NGINX_PORT}; root ${tmp}/www; }
}
`,
    );
    const nginx = startGroup("nginx", ["-e", `${tmp}/nginx-error.log`, "-c", path.join(tmp, "nginx.conf"), "-p", tmp], childEnv());

    // Edge node 1: one environment with the varnish chain (parts 1, 2 and its RSS).
    if (parts.has("steady")) {
      const stateDir = path.join(tmp, "state-1");
      stateDirs.push(stateDir);
      con.set(1, [environment(1, HOST, 1, applyVcl(0))]);
      const agent = startAgent(stateDir, consolePort, 31080, log);
      await until(
        "the edge to serve bench.test",
        90_000,
        async () => (await get(31080, HOST, "/hit"))?.status === 200,
        () => agentLog,
      );
      const warm = await get(31080, HOST, "/hit");
      if (warm?.headers["x-cache"] !== "HIT")
        throw new Error(`expected a cache HIT on the second request, got ${warm?.headers["x-cache"]}`);
      await until(
        "nginx and the origin",
        10_000,
        async () => {
          const a = await fetch(`http://${FLOOR_HOST}:${NGINX_PORT}/hit`).then(
            (r) => r.status,
            () => 0,
          );
          const b = await fetch(`http://${FLOOR_HOST}:${ORIGIN_PORT}/`).then(
            (r) => r.status,
            () => 0,
          );
          return a === 200 && b === 200;
        },
        () => fs.readFileSync(path.join(tmp, "nginx-error.log"), "utf8"),
      );

      // 1. Throughput, one run at a time.
      const runs: [string, string, { host?: string; miss?: string }][] = [
        ["static nginx (floor)", `http://${FLOOR_HOST}:${NGINX_PORT}/hit`, {}],
        ["origin direct (floor)", `http://${FLOOR_HOST}:${ORIGIN_PORT}/hit`, {}],
        ["edge http hit", `http://${BIND}:31080/hit`, { host: HOST }],
        ["edge http miss", `http://${BIND}:31080/`, { host: HOST, miss: "http" }],
        ["edge https hit", `https://${BIND}:31443/hit`, { host: HOST }],
        ["edge https miss", `https://${BIND}:31443/`, { host: HOST, miss: "https" }],
      ];
      // The floor and the hit run in turns, ROUNDS times each, and the median of each is kept: on a shared machine one
      // 5 s run of either can be off by half, and the ratio is the figure that matters.
      const turns: Record<string, WrkResult[]> = { [runs[0][0]]: [], [runs[2][0]]: [] };
      for (let i = 0; i < ROUNDS; i++) {
        for (const [what, url, o] of [runs[0], runs[2]]) turns[what].push(await wrk(tmp, url, o).result);
      }
      for (const [what, url, o] of runs) {
        const taken = turns[what];
        rows.push(throughputRow(taken ? `${what}, median of ${ROUNDS}` : what, taken ? median(taken) : await wrk(tmp, url, o).result));
      }
      const nginxFloor = Number(rows[0].perSecond);
      for (const r of rows.slice(2)) r.what += ` (${Math.round((Number(r.perSecond) / nginxFloor) * 100)}% of nginx)`;

      // 2. Applies under keep-alive load.
      const load = wrk(tmp, `http://${BIND}:31080/hit`, { host: HOST, connections: 16, seconds: 600 });
      await sleep(1000);
      const times: number[] = [];
      for (let n = 1; n <= applies; n++) {
        const t0 = performance.now();
        con.set(n + 1, [environment(1, HOST, n + 1, applyVcl(n))]);
        await until(
          `apply ${n} served`,
          60_000,
          async () => {
            const r = await get(31080, HOST, "/hit");
            return r?.headers["x-bench-apply"] === String(n);
          },
          () => agentLog,
        );
        times.push(performance.now() - t0);
        await sleep(200);
      }
      killGroup(load.child.pid, "SIGINT"); // wrk prints its summary (and runs done()) on SIGINT
      const loadResult = await load.result;
      times.sort((a, b) => a - b);
      rows.push({
        part: "2 apply",
        what: `${applies} VCL changes, wrk 16 conns on the hit URL (${Math.round(loadResult.requests / (loadResult.durationUs / 1e6))} req/s)`,
        count: applies,
        perSecond: "",
        p50Ms: round(percentile(times, 50), 0),
        tailMs: round(percentile(times, 95), 0),
        tail: "p95",
        failed: loadResult.errors + loadResult.status,
        peakRssMiB: "",
      });
      rows.push(...rssRows("steady node", stateDir, agent.pid));
      currentAgent = null;
      await stopGroup(agent);
      killLeftovers(stateDir);
    }

    // 3. Cold start with `coldCount` environments.
    const coldDir = path.join(tmp, "state-2");
    stateDirs.push(coldDir);
    const hosts = Array.from({ length: coldCount }, (_, i) => `c${i + 1}.bench.test`);
    con.set(
      1000,
      hosts.map((h, i) => environment(i + 1, h, 1000, STARTER_VCL)),
    );
    agentLog = "";
    if (parts.has("cold")) {
      const t0 = performance.now();
      const cold = startAgent(coldDir, consolePort, 31180, log);
      const pending = new Set(hosts);
      let failed = coldCount;
      try {
        await until(
          `${coldCount} environments served`,
          300_000,
          async () => {
            const answers = await Promise.all([...pending].map(async (h) => [h, (await get(31180, h, "/"))?.status] as const));
            for (const [h, status] of answers) if (status === 200) pending.delete(h);
            return pending.size === 0;
          },
          () => agentLog,
        );
      } finally {
        failed = pending.size;
      }
      const coldMs = performance.now() - t0;
      rows.push({
        part: "3 cold start",
        what: `${coldCount} environments (varnish chain each): agent start to all served`,
        count: coldCount,
        perSecond: "",
        p50Ms: round(coldMs, 0),
        tailMs: "",
        tail: "total",
        failed,
        peakRssMiB: "",
      });
      rows.push(...rssRows(`cold node (${coldCount} envs)`, coldDir, cold.pid));
      await stopGroup(cold);
      killLeftovers(coldDir);
    }
    await stopGroup(nginx, 2000);
    await stopGroup(origin, 2000);
  } finally {
    for (const child of started.reverse()) await stopGroup(child, 3000);
    for (const dir of stateDirs) killLeftovers(dir);
    for (const w of con.waiters.splice(0)) w();
    con.server.closeAllConnections();
    await new Promise((r) => con.server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  rows.push({
    part: "4 peak RSS",
    what: "bench process (wrk not included)",
    count: "",
    perSecond: "",
    p50Ms: "",
    tailMs: "",
    tail: "",
    failed: "",
    peakRssMiB: stopBenchRss(),
  });
  return rows;
}
