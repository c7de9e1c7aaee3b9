import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

// Shared pieces of the edge agent's end-to-end tests (docs/edge.md, docs/product.md §8): a tiny console playing
// the two endpoints of docs/edge.md "Desired state", real origins on 127.0.0.0/8, the agent as a child process
// with its environment variables, and HTTP helpers. Real servers and processes only, no mocks.

/** The repository root (where `edge/agent/main.ts` is run from). */
export const ROOT = path.resolve(import.meta.dirname, "../..");

/** A node token of the documented shape (`en_` + 43 characters), accepted by {@link fakeConsole}. */
export const TOKEN = "en_" + "t".repeat(43);

/** A 40-hex commit sha the test states use as every environment's `commit`. */
export const COMMIT = "3f2a9c1".padEnd(40, "0");

/** The starter VCL customers get (lib/stacks/starters/varnish/default.vcl). */
export const STARTER_VCL = fs.readFileSync(path.join(ROOT, "lib/stacks/starters/varnish/default.vcl"), "utf8");

/** The starter ModSecurity configuration with blocking on (its comment tells customers to change that one line). */
export const MODSEC_CONF = fs
  .readFileSync(path.join(ROOT, "lib/stacks/starters/modsecurity/modsecurity.conf"), "utf8")
  .replace("SecRuleEngine DetectionOnly", "SecRuleEngine On");

/** One request an origin received: its path+query and headers. */
export type Hit = { url: string; headers: http.IncomingHttpHeaders };

/**
 * A plain HTTP origin answering every request 200 `hello from <name>` (text/plain, cacheable 300 s), recording
 * each request in `hits`. Not listening yet: pass `server` to {@link listen}.
 */
export function origin(name: string): { hits: Hit[]; server: http.Server } {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    hits.push({ url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=300" });
    res.end(`hello from ${name}`);
  });
  return { hits, server };
}

/**
 * Listens on an ephemeral port of `address` (default 127.0.0.1) and resolves to the port. Works for http, https
 * and net servers alike.
 */
export async function listen(
  server: { listen: http.Server["listen"]; address: http.Server["address"] },
  address = "127.0.0.1",
): Promise<number> {
  await new Promise<void>((r) => server.listen(0, address, () => r()));
  return (server.address() as AddressInfo).port;
}

/** The outcome of {@link get}: status, response headers, body as text, and the time it took in ms. */
export type Got = { status: number; headers: http.IncomingHttpHeaders; body: string; ms: number };

/**
 * One plain-HTTP GET to the node: `address:port` (default address 127.0.0.2), with `Host: host` and extra headers.
 * Rejects after 10 s without an answer or on a connection error.
 */
export function get(port: number, host: string, headers: Record<string, string> = {}, urlPath = "/", address = "127.0.0.2"): Promise<Got> {
  return new Promise<Got>((resolve, reject) => {
    const t0 = Date.now();
    const req = http.request(
      { host: address, port, path: urlPath, headers: { host, ...headers }, timeout: 10_000, agent: false },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - t0 }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polls `fn` every 100 ms until it returns something other than null/undefined/false, and resolves to that.
 * Throws after `timeoutMs` with `what`, the last error `fn` threw, and the tail of `context()` (e.g. the agent's log).
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | null | false | undefined> | T | null | false | undefined,
  timeoutMs = 20_000,
  context: () => string = () => "",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}\nagent said:\n${context().slice(-3000)}`);
}

/** Peak RSS (VmHWM, kB) of a process and of each of its children, e.g. "12688+9120". */
export function rss(pid: number): string {
  const one = (p: number) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // none
  }
  return [pid, ...children].map(one).join("+");
}

/** One environment's report entry as the agent posts it (docs/edge.md "Reports"). */
export type ReportedEnvironment = {
  environmentId: number;
  version: number;
  status: string;
  tool?: string;
  message?: string;
  servingCommit?: string;
};

/** The fake console of {@link fakeConsole}. */
export type FakeConsole = {
  /** ok: answers; down: 503; revoked: 401; malformed: a broken JSON state. */
  mode: "ok" | "down" | "revoked" | "malformed";
  state: { version: number; environments: object[]; settings: object };
  /** How many state polls arrived. */
  polls: number;
  /** Every report body received, oldest first. */
  reports: { version: number; error: string | null; environments: ReportedEnvironment[] }[];
  waiters: (() => void)[];
  server: http.Server;
  /** Publishes a new desired state and wakes the long polls. */
  set(version: number, environments: object[], settings: object): void;
  /** The last report entry for environment `id`, if any. */
  lastReportFor(id: number): ReportedEnvironment | undefined;
  /** `http://127.0.0.1:<port>` once listening. */
  url(): string;
};

/**
 * The console's two endpoints (docs/edge.md "Desired state" and "Reports"): `GET /api/edge/v1/state?since=N`
 * (long poll, 1.5 s here) answering the state set with {@link FakeConsole.set}, and `POST /api/edge/v1/report`
 * recording reports. Checks `Authorization: Bearer <token>`. Call `server.listen` (or {@link listen}) to start it.
 */
export function fakeConsole(token = TOKEN): FakeConsole {
  const c: FakeConsole = {
    mode: "ok",
    state: { version: 1, environments: [], settings: {} },
    polls: 0,
    reports: [],
    waiters: [],
    server: http.createServer(),
    set(version, environments, settings) {
      c.state = { version, environments, settings };
      for (const w of c.waiters.splice(0)) w();
    },
    lastReportFor(id) {
      return c.reports
        .flatMap((r) => r.environments)
        .filter((e) => e.environmentId === id)
        .at(-1);
    },
    url() {
      return `http://127.0.0.1:${(c.server.address() as AddressInfo).port}`;
    },
  };
  c.server.on("request", (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/api/edge/v1/state") c.polls++;
    if (req.headers.authorization !== `Bearer ${token}` || c.mode === "revoked") {
      res.writeHead(401, { "content-type": "application/problem+json" }).end('{"title":"Unauthorized"}');
      return;
    }
    if (c.mode === "down") {
      res.writeHead(503).end();
      return;
    }
    if (url.pathname === "/api/edge/v1/report") {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        c.reports.push(JSON.parse(body) as FakeConsole["reports"][number]);
        res.writeHead(204).end();
      });
      return;
    }
    const since = Number(url.searchParams.get("since"));
    let done = false;
    const answer = () => {
      if (done || res.writableEnded) return;
      done = true;
      if (c.mode === "malformed") return res.writeHead(200, { "content-type": "application/json" }).end('{"version": "x"');
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ ...c.state, full: true, node: { name: "edge-test", drain: false }, removed: [] }));
    };
    if (c.state.version > since) return answer();
    const timer = setTimeout(answer, 1500);
    c.waiters.push(() => {
      clearTimeout(timer);
      answer();
    });
  });
  return c;
}

/**
 * One environment of a desired state (docs/edge.md "Desired state") with test defaults: key `e<id>`, version 1,
 * {@link COMMIT}, the empty chain, origin `127.0.0.1:originPort`, secret `secret-<id>`; `extra` overrides any field.
 */
export function testEnvironment(id: number, hostname: string, originPort: number, extra: object = {}) {
  return {
    key: `e${id}`,
    version: 1,
    environmentId: id,
    commit: COMMIT,
    hostnames: [hostname],
    secret: `secret-${id}`,
    chain: [] as string[],
    origin: { address: "127.0.0.1", port: originPort } as Record<string, unknown>,
    alternateOrigins: {} as Record<string, unknown>,
    ipBlacklist: [] as string[],
    files: {} as Record<string, string>,
    ...extra,
  };
}

/** Where and how to run one agent: see {@link edgeAgent}. */
export type EdgeAgentOptions = {
  stateDir: string;
  consoleUrl: string;
  /** Public plain-HTTP port; HTTPS is `httpPort + 1`. */
  httpPort: number;
  /** EDGE_INTERNAL_PORT_BASE: first of the internal ports (hops, modules). */
  portBase: number;
  /** Address the public ports bind to (default 127.0.0.2). */
  bindAddress?: string;
  /** EDGE_DNS_SERVERS (e.g. a {@link startDnsServer} address). */
  dnsServers?: string;
  token?: string;
  /** More environment variables for the agent (e.g. EDGE_ORIGIN_CA_FILE). */
  env?: Record<string, string>;
};

/** A running (or stopped) agent child process: see {@link edgeAgent}. */
export type EdgeAgent = {
  child: () => ChildProcess | null;
  /** stdout+stderr of the current run. */
  log: () => string;
  start(): void;
  /**
   * Sends `signal` and waits for the process to close; nothing if it is not running. An agent still running
   * `killAfterMs` (default 40,000 ms) later is SIGKILLed, with a line in its log, so a test's teardown stays bounded.
   */
  stop(signal: NodeJS.Signals, killAfterMs?: number): Promise<void>;
  /** The pid in `<stateDir>/run/<name>.pid` (haproxy, varnishd, nginx-…). */
  pidOf(name: string): number;
  /**
   * After a test: SIGKILLs the process groups named in the pid files (leftovers of a failed run) and lists
   * processes whose command line still names the state directory (empty when the agent cleaned up).
   */
  leftovers(): string[];
};

/**
 * The edge agent (`edge/agent/main.ts`) as a child process: node with tsx's loader (not the tsx wrapper, so a
 * SIGKILL ends the agent itself), NODE_ENV=test, and the environment variables of docs/edge.md "Running a node".
 */
export function edgeAgent(o: EdgeAgentOptions): EdgeAgent {
  let child: ChildProcess | null = null;
  let log = "";
  const a: EdgeAgent = {
    child: () => child,
    log: () => log,
    start() {
      log = "";
      const c = spawn(process.execPath, ["--import", "tsx", "edge/agent/main.ts"], {
        cwd: ROOT,
        env: {
          NODE_ENV: "test",
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          EDGE_NODE_TOKEN: o.token ?? TOKEN,
          CONSOLE_URL: o.consoleUrl,
          EDGE_BIND_ADDRESS: o.bindAddress ?? "127.0.0.2",
          EDGE_HTTP_PORT: String(o.httpPort),
          EDGE_HTTPS_PORT: String(o.httpPort + 1),
          EDGE_STATE_DIR: o.stateDir,
          EDGE_INTERNAL_PORT_BASE: String(o.portBase),
          ...(o.dnsServers ? { EDGE_DNS_SERVERS: o.dnsServers } : {}),
          ...o.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      c.stdout.on("data", (d: Buffer) => (log += d.toString()));
      c.stderr.on("data", (d: Buffer) => (log += d.toString()));
      child = c;
    },
    async stop(signal, killAfterMs = 40_000) {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((r) => {
        const timer = setTimeout(() => {
          log += `\n[test harness] the agent did not stop within ${killAfterMs} ms of ${signal}: SIGKILL\n`;
          c.kill("SIGKILL");
        }, killAfterMs);
        c.once("close", () => {
          clearTimeout(timer);
          r();
        });
        c.kill(signal);
      });
    },
    pidOf(name) {
      return Number(fs.readFileSync(path.join(o.stateDir, "run", `${name}.pid`), "utf8"));
    },
    leftovers() {
      const left = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes(o.stateDir));
      const run = path.join(o.stateDir, "run");
      for (const f of fs.existsSync(run) ? fs.readdirSync(run) : []) {
        if (!f.endsWith(".pid")) continue;
        try {
          process.kill(-Number(fs.readFileSync(path.join(run, f), "utf8")), "SIGKILL");
        } catch {
          // gone
        }
      }
      return left;
    },
  };
  return a;
}

/**
 * Each suite that starts a node has its own slot, so that suites running at the same time (vitest runs files in
 * parallel) never share internal ports: a slot's node allocates its internal ports upwards from its
 * EDGE_INTERNAL_PORT_BASE and uses far fewer than the 800 before the next slot's base, and the public ports are
 * drawn inside the slot's own hundred. Add a slot for a new suite.
 */
export const PORT_SLOTS = {
  agent: 0,
  chains: 1,
  drain: 2,
  sandbox: 3,
  sandboxUnprivileged: 4,
  httpsEdge: 5,
  varnishWork: 6,
  purge: 8,
  traffic: 9,
} as const;

/**
 * Ports for one suite's node: an even public HTTP port in 30000 + 100 × slot … + 98 (HTTPS is the next one) and the
 * internal port base 6000 + 800 × slot (6000..13200). All of them lie below Linux's ephemeral range (32768-60999,
 * /proc/sys/net/ipv4/ip_local_port_range), where any outgoing connection of the parallel suites could hold a port
 * the node is about to bind (EADDRINUSE); clear of e2e/edge-env.ts (3120, 19080, 26000), the e2e servers (3100,
 * 15025-15380) and the agent's default base (20000).
 */
export function randomPorts(suite: keyof typeof PORT_SLOTS): { httpPort: number; portBase: number } {
  const slot = PORT_SLOTS[suite];
  return { httpPort: 30000 + slot * 100 + Math.floor(Math.random() * 50) * 2, portBase: 6000 + slot * 800 };
}
