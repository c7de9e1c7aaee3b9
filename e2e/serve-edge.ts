// Playwright's webServer of the "edge" project: a second console (own port, data folder and loopback DNS server,
// ALLOW_PRIVATE_ORIGINS=true, EDGE_IPV4=127.0.0.2) and, once it is healthy, a real edge node: a node token made with
// `npm run edge:token -- add e2e-node` on the same data folder, then `npm run edge` bound to 127.0.0.2 on
// unprivileged ports with its own EDGE_STATE_DIR (docs/edge.md "Node tokens", docs/product.md §8 "Agent settings").
// `GET /ready` on the control port answers 200 once the node's HAProxy answers an unknown host with
// `X-Edge-Status: not-configured` (docs/edge.md "Applying, on the node"), or once starting it failed; `GET /status`
// tells e2e/edge.spec.ts whether the node runs, or why not. HTTPS (docs/https.md): Debian's pebble runs on loopback
// (listener certificate made by openssl at start, HTTP-01 validation on the node's HTTP port, resolving through this
// console's DNS server) and the console gets ACME_DIRECTORY_URL, ACME_EMAIL, ACME_CA_BUNDLE and ACME_CAA_IDENTITIES;
// `GET /pebble` answers its issuing root and how many orders it received, `GET /output` every line the console and
// the agent printed (e2e/https.spec.ts greps them for private keys). On SIGTERM the agent's process group stops first (it stops its proxies), then the
// console; whatever still runs from this node's state folder is killed by pid.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { startPebble, type TestPebble } from "../lib/https/test-pebble";
import { startDnsServer } from "../lib/testing/dns-server";
import { EDGE_CONSOLE_LOG, teeTo, withoutAccessLines } from "./console-log";
import { EDGE_E2E, EDGE_TOOLS, edgeConsoleEnv } from "./edge-env";

const root = path.resolve(import.meta.dirname, "..");
const next = path.join(root, "node_modules", ".bin", "next");

/** What e2e/edge.spec.ts reads from `GET /status`. */
export type EdgeServeStatus = {
  /** `starting`, `ready` (node serving), `no-tools` (skipped: a tool is missing outside CI), `failed`. */
  state: "starting" | "ready" | "no-tools" | "failed";
  message: string;
  missingTools: string[];
  /** The last lines the agent printed (stdout and stderr), for failure messages. */
  agentLog: string[];
  /** True when pebble runs and the console orders certificates from it. */
  acme: boolean;
};

/** What `GET /pebble` answers. */
export type EdgePebbleStatus = { rootPem: string; orders: number; directoryUrl: string };

const status: EdgeServeStatus = { state: "starting", message: "starting the console", missingTools: [], agentLog: [], acme: false };
/** Every line the console and the agent printed (at most the last 50,000). */
const output: string[] = [];
const keepOutput = (line: string) => {
  output.push(line);
  if (output.length > 50_000) output.splice(0, output.length - 50_000);
};
const log = (line: string) => console.log(`e2e-edge: ${line}`);

/** True when `name` is on PATH (`command -v`). */
function haveTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Pids of processes whose command line names `folder` (this node's proxies, also from an interrupted run). */
function processesUsing(folder: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (cmdline.includes(folder)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function killPids(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET `url` with an optional Host header; resolves with the status and headers, or null when nothing answers. */
function probe(url: string, host?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders } | null> {
  return new Promise((resolve) => {
    const request = http.get(url, { headers: host ? { host } : {}, agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(null));
  });
}

/** True when something accepts TCP connections on `host`:`port`. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(false));
  });
}

async function waitFor(what: string, timeoutMs: number, ready: () => Promise<boolean>, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    if (!alive()) throw new Error(`${what}: the process exited`);
    await sleep(250);
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
}

function remember(child: ChildProcess): void {
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      process.stdout.write(`[edge] ${line}\n`);
      status.agentLog.push(line);
      keepOutput(`[edge] ${line}`);
    }
    if (status.agentLog.length > 200) status.agentLog.splice(0, status.agentLog.length - 200);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
}

async function main() {
  // Leftovers of an interrupted run hold this node's ports: stop them by pid before anything else.
  killPids(processesUsing(EDGE_E2E.stateDir), "SIGKILL");
  fs.rmSync(EDGE_E2E.dataDir, { recursive: true, force: true });
  fs.rmSync(EDGE_E2E.stateDir, { recursive: true, force: true });
  fs.mkdirSync(EDGE_E2E.dataDir, { recursive: true });

  let pebble: TestPebble | null = null;
  let pebbleRoot = "";
  const control = http.createServer((request, response) => {
    if (request.url === "/ready") {
      // Ready once the outcome is known: a node that failed to start fails the edge spec with /status's message,
      // not the whole Playwright run.
      const ok = status.state !== "starting";
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(`${status.state}: ${status.message}\n`);
    } else if (request.url === "/status") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(status));
    } else if (request.url === "/pebble" && pebble) {
      const answer: EdgePebbleStatus = { rootPem: pebbleRoot, orders: pebble.orders(), directoryUrl: pebble.directoryUrl };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
    } else if (request.url === "/output") {
      response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(output.join("\n"));
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => control.listen(EDGE_E2E.controlPort, "127.0.0.1", resolve));

  const dns = await startDnsServer({ dnsPort: EDGE_E2E.dnsPort, controlPort: EDGE_E2E.dnsControlPort });
  log(`DNS server on 127.0.0.1:${dns.dnsPort}, control on ${dns.controlPort}`);

  // The ACME test CA (docs/https.md "Tests"): real HTTP-01 validation through the node's HTTP port.
  const acmeEnv: Record<string, string> = {};
  if (haveTool("pebble") && haveTool("openssl")) {
    pebble = await startPebble({ httpPort: EDGE_E2E.httpPort, dnsServer: `127.0.0.1:${dns.dnsPort}` });
    const rootFile = await pebble.rootFile();
    pebbleRoot = fs.readFileSync(rootFile, "utf8");
    Object.assign(acmeEnv, {
      ACME_DIRECTORY_URL: pebble.directoryUrl,
      ACME_EMAIL: EDGE_E2E.acmeEmail,
      ACME_CA_BUNDLE: pebble.caBundle,
      ACME_CAA_IDENTITIES: "pebble.test",
    });
    status.acme = true;
    log(`pebble on ${pebble.directoryUrl} (HTTP-01 on port ${EDGE_E2E.httpPort})`);
  } else log("pebble or openssl missing: automatic certificates stay off on this console");

  const consoleEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    NODE_ENV: "production",
    PORT: String(EDGE_E2E.consolePort),
    ...edgeConsoleEnv(),
    ...acmeEnv,
    NEXT_TELEMETRY_DISABLED: "1",
    ...(process.env.NEXT_DIST_DIR ? { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR } : {}),
  };
  if (!fs.existsSync(path.join(root, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
    const build = spawnSync(next, ["build"], {
      cwd: root,
      stdio: "inherit",
      env: { ...consoleEnv, DATA_DIR: path.join(EDGE_E2E.dataDir, "build") },
    });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }

  const consoleServer = spawn(
    process.execPath,
    [path.join(root, "scripts", "server.mjs"), "--port", String(EDGE_E2E.consolePort), "--hostname", "127.0.0.1"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: consoleEnv },
  );
  const keepConsole = teeTo(EDGE_CONSOLE_LOG); // for e2e/zz-log-secrets.spec.ts
  for (const stream of [consoleServer.stdout, consoleServer.stderr]) {
    const print = withoutAccessLines(process.stdout); // one per stream: a line may be cut between two chunks
    stream?.on("data", (chunk: Buffer) => {
      print(chunk);
      keepConsole(chunk);
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) keepOutput(line);
    });
  }
  let agent: ChildProcess | null = null;
  let stopping = false;

  const stopAgent = async () => {
    if (agent?.pid) {
      // npm exits at once on SIGTERM; the agent itself takes a moment to stop its proxies: wait until no process
      // of the group is left (kill 0 fails with ESRCH), then kill what remains.
      const group = -agent.pid;
      const groupAlive = () => {
        try {
          process.kill(group, 0);
          return true;
        } catch {
          return false;
        }
      };
      killPids([group], "SIGTERM");
      const deadline = Date.now() + 10_000;
      while (groupAlive() && Date.now() < deadline) await sleep(100);
      if (groupAlive()) {
        log("the edge agent did not stop within 10 s: killing its process group");
        killPids([group], "SIGKILL");
      }
    }
    // Proxies the agent left behind (it may have been killed before it could stop them).
    const left = processesUsing(EDGE_E2E.stateDir);
    if (left.length) {
      log(`stopping ${left.length} leftover process(es) of the node: ${left.join(", ")}`);
      killPids(left, "SIGKILL");
    }
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stopAgent();
    consoleServer.kill("SIGTERM");
    control.close();
    await dns.close();
    await pebble?.stop();
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  consoleServer.on("exit", (code) => {
    void stop().then(() => process.exit(code ?? 0));
  });

  await waitFor(
    "the edge console",
    120_000,
    async () => (await probe(`http://127.0.0.1:${EDGE_E2E.consolePort}/api/health`))?.status === 200,
    () => consoleServer.exitCode === null,
  );
  log(`console healthy on ${EDGE_E2E.consoleUrl}`);

  status.missingTools = EDGE_TOOLS.filter((tool) => !haveTool(tool));
  if (status.missingTools.length && process.env.CI !== "true") {
    status.state = "no-tools";
    status.message = `no edge node: ${status.missingTools.join(", ")} not installed (sudo scripts/install-system-packages.sh)`;
    log(status.message);
    return;
  }

  // The node's public ports must be free: another node there would answer in its place.
  for (const port of [EDGE_E2E.httpPort, EDGE_E2E.httpsPort]) {
    if (await listening(EDGE_E2E.bindAddress, port)) {
      status.state = "failed";
      status.message = `${EDGE_E2E.bindAddress}:${port} is already in use (see ss -ltnp); set E2E_EDGE_HTTP_PORT / E2E_EDGE_HTTPS_PORT`;
      log(status.message);
      return;
    }
  }

  status.message = "making the node token";
  const token = spawnSync("npm", ["run", "--silent", "edge:token", "--", "add", EDGE_E2E.nodeName], {
    cwd: root,
    encoding: "utf8",
    env: { ...consoleEnv, NODE_ENV: "production" },
  });
  const nodeToken = `${token.stdout}`.match(/\ben_[A-Za-z0-9_-]{20,}/)?.[0];
  if (token.status !== 0 || !nodeToken) {
    status.state = "failed";
    status.message = `npm run edge:token -- add ${EDGE_E2E.nodeName} failed (${token.status}): ${token.stderr.trim() || token.stdout.trim()}`;
    log(status.message);
    return;
  }

  status.message = "starting the edge node";
  const runningAgent = spawn("npm", ["run", "edge"], {
    cwd: root,
    detached: true, // its own process group: stopped as a whole, after the agent had the chance to stop its proxies
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: "C.UTF-8",
      NODE_ENV: "production",
      CONSOLE_URL: `http://127.0.0.1:${EDGE_E2E.consolePort}`,
      EDGE_NODE_TOKEN: nodeToken,
      EDGE_BIND_ADDRESS: EDGE_E2E.bindAddress,
      EDGE_HTTP_PORT: String(EDGE_E2E.httpPort),
      EDGE_HTTPS_PORT: String(EDGE_E2E.httpsPort),
      EDGE_STATE_DIR: EDGE_E2E.stateDir,
      EDGE_INTERNAL_PORT_BASE: String(EDGE_E2E.internalPortBase),
      EDGE_DNS_SERVERS: `127.0.0.1:${EDGE_E2E.dnsPort}`,
      // Pushes every 2 s rather than every minute: the Traffic tab's journey sees its requests within seconds.
      EDGE_METRICS_FLUSH_SECONDS: "2",
    },
  });
  agent = runningAgent;
  remember(runningAgent);
  runningAgent.on("exit", (code, signal) => {
    if (stopping) return;
    status.state = "failed";
    status.message = `the edge agent exited (${signal ?? code})`;
    log(status.message);
  });

  try {
    await waitFor(
      "the edge node",
      60_000,
      async () => {
        const answer = await probe(`http://${EDGE_E2E.bindAddress}:${EDGE_E2E.httpPort}/`, "ready.e2e-edge.invalid");
        return answer?.status === 404 && answer.headers["x-edge-status"] === "not-configured";
      },
      () => runningAgent.exitCode === null && runningAgent.signalCode === null,
    );
    status.state = "ready";
    status.message = `edge node on ${EDGE_E2E.bindAddress}:${EDGE_E2E.httpPort} (https ${EDGE_E2E.httpsPort})`;
    log(status.message);
  } catch (error) {
    if (status.state !== "failed") {
      status.state = "failed";
      status.message = (error as Error).message;
      log(status.message);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
