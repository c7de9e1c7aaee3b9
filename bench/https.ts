import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { domainCertificates, domains, edgeNodeEnvironments, edgeNodes } from "@/db/schema";
import { EdgeHttps, type HttpsEnvironment } from "@/edge/agent/certificates";
import { edgeAgent, type EdgeAgent } from "@/edge/agent/test-harness";
import { renderHaproxy } from "@/edge/haproxy/render";
import { haproxyCommand } from "@/edge/haproxy/runtime";
import { haveTool } from "@/edge/modules/tools";
import { edgeConsoleServer } from "@/lib/testing/edge-console";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { makeApplication } from "@/lib/environments/fixtures";
import { startCertificateScheduler } from "@/lib/https/scheduler";
import { startPebble } from "@/lib/https/test-pebble";
import { makeTestPki } from "@/lib/https/test-pki";
import { startDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

// HTTPS benchmarks (docs/https.md "Tests"):
// 1. "Domain becomes live" → "HTTPS served on every node": the console's edge API handlers on temp SQLite, two real
//    edge agents (haproxy + varnishd) on 127.0.0.2 and 127.0.0.3 (EDGE_IPV4 both, the same public HTTP port, which is
//    pebble's HTTP-01 port), the loopback DNS server with A records for both, Debian's pebble validating for real.
//    Each run: a new application, served by both nodes over HTTP first; then its domain turns live and the
//    certificate scheduler is woken (what a go-live check does); the clock stops when both nodes present the new
//    certificate to a fresh TLS connection. The floor beside it: pebble's own order time as the ACME client measured
//    it inside the same runs (the part no node work can remove).
// 2. One certificate installed on a node (a real HAProxy with the agent's rendered configuration) that already holds
//    1,000: `EdgeHttps.apply` (the agent's path: diff against the files, Runtime API, files written), beside the floor
//    of the same four Runtime API commands sent alone (`new ssl cert`, `set ssl cert`, `commit ssl cert`,
//    `add ssl crt-list`).
// Ports: public HTTP 30950 (HTTPS 30951), internal bases 54000 and 56000; clear of the test suites' slots
// (edge/agent/test-harness.ts PORT_SLOTS) and of e2e/edge-env.ts.

/** One row of the table. */
export type HttpsBenchRow = { measure: string; runs: number; medianMs: number; minMs: number; maxMs: number; target: string };

/** The median of `values` (the mean of the middle two for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function presentedSerial(address: string, port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: address, port, servername, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw).serialNumber.toUpperCase());
    });
    socket.on("error", () => resolve(""));
  });
}

function row(measure: string, ms: number[], target: string): HttpsBenchRow {
  return {
    measure,
    runs: ms.length,
    medianMs: Math.round(median(ms)),
    minMs: Math.round(Math.min(...ms)),
    maxMs: Math.round(Math.max(...ms)),
    target,
  };
}

/** Part 1: domain live → HTTPS on both nodes, `runs` times. */
async function liveToServed(runs: number): Promise<HttpsBenchRow[]> {
  const httpPort = 30950;
  const addresses = ["127.0.0.2", "127.0.0.3"];
  const dns = await startDnsServer();
  const pebble = await startPebble({ httpPort, dnsServer: dns.address });
  const restoreEnv = setTestEnv({
    ACME_DIRECTORY_URL: pebble.directoryUrl,
    ACME_EMAIL: "ops@bench-https.test",
    ACME_CA_BUNDLE: pebble.caBundle,
    ACME_CAA_IDENTITIES: "pebble.test",
    EDGE_IPV4: addresses.join(","),
    EDGE_IPV6: "",
    DNS_SERVERS: dns.address,
    DNS_TIMEOUT_MS: "500",
    DNS_TRIES: "1",
    CHECK_INTERVAL_SECONDS: "3600",
  });
  const temp = makeTempDataDir("ec-bench-https-");
  clearEdgeStateCache();
  const server = edgeConsoleServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agents: EdgeAgent[] = [];
  const stateDirs: string[] = [];
  const scheduler = startCertificateScheduler({ intervalMs: 3_600_000 });
  const total: number[] = [];
  const orders: number[] = [];
  // The scheduler prints "[certificates] issued <hostname> in <ms> ms" (the order's own time): kept as the floor.
  const originalLog = console.log;
  console.log = (...args: unknown[]) => {
    const m = /^\[certificates\] issued \S+ in (\d+) ms/.exec(String(args[0]));
    if (m) orders.push(Number(m[1]));
    else originalLog(...args);
  };
  try {
    await makeApplication("benchwarm"); // the nodes start with one environment
    await settleEdgeChanges();
    await reconcileEdgeState();
    for (const [i, address] of addresses.entries()) {
      const { token } = await createEdgeNode(`bench-${i + 1}`);
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `ec-bench-https-node${i + 1}-`));
      stateDirs.push(stateDir);
      const agent = edgeAgent({
        stateDir,
        consoleUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        httpPort,
        portBase: 54000 + i * 2000,
        bindAddress: address,
        dnsServers: dns.address,
        token,
      });
      agent.start();
      agents.push(agent);
    }
    for (let r = 0; r < runs; r++) {
      const label = `benchtls${r}`;
      const hostname = `www.${label}.example`;
      dns.set(
        hostname,
        addresses.map((value) => ({ type: "A" as const, value })),
      );
      await makeApplication(label);
      await settleEdgeChanges();
      await reconcileEdgeState();
      const domain = (await first(getDb().select().from(domains).where(eq(domains.hostname, hostname))))!;
      // Served over HTTP by both nodes first (the environment applied): what "live" finds in practice.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const applied = await getDb()
          .select()
          .from(edgeNodeEnvironments)
          .where(and(eq(edgeNodeEnvironments.environmentId, domain.environmentId), eq(edgeNodeEnvironments.status, "applied")));
        const nodes = await getDb().select().from(edgeNodes);
        if (applied.length === addresses.length && nodes.every((n) => n.httpPort === httpPort)) break;
        if (Date.now() > deadline)
          throw new Error(`the nodes did not apply ${hostname}:\n${agents.map((a) => a.log().slice(-1500)).join("\n")}`);
        await sleep(100);
      }
      const started = performance.now();
      await writeTransaction(async (tx) => void (await tx.update(domains).set({ status: "live" }).where(eq(domains.id, domain.id))));
      scheduler.kick();
      for (;;) {
        const cert = await first(getDb().select().from(domainCertificates).where(eq(domainCertificates.domainId, domain.id)));
        if (cert?.state === "failed") throw new Error(`${hostname}: ${cert.failureStep}: ${cert.failureReason}`);
        if (cert?.serial) {
          const served = await Promise.all(addresses.map((a) => presentedSerial(a, httpPort + 1, hostname)));
          if (served.every((s) => s === cert.serial)) break;
        }
        if (performance.now() - started > 60_000) throw new Error(`${hostname}: not served within 60 s`);
        await sleep(20);
      }
      total.push(performance.now() - started);
    }
  } finally {
    await scheduler.stop();
    for (const agent of agents) {
      await agent.stop("SIGTERM");
      agent.leftovers();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await settleEdgeChanges();
    console.log = originalLog;
    temp.cleanup();
    restoreEnv();
    await pebble.stop();
    await dns.close();
    for (const d of stateDirs) fs.rmSync(d, { recursive: true, force: true });
  }
  return [
    row("domain live → HTTPS served on both nodes (pre-flight, order at pebble, 2 nodes apply)", total, "≤ 5000 ms"),
    row("floor: the ACME order alone (acme-client ↔ pebble, nodes applying the challenge included)", orders, "-"),
  ];
}

/** Part 2: one more certificate on a HAProxy holding `held`, `runs` times; and the bare Runtime API floor (rows). */
export async function installOnFullNode(runs: number, held: number): Promise<HttpsBenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-https-haproxy-"));
  const pki = makeTestPki();
  let haproxy: ChildProcess | null = null;
  try {
    pki.ca("Bench CA");
    pki.issue("d", "Bench CA", ["edge-default"]);
    const defaultPem = path.join(dir, "default.pem");
    fs.writeFileSync(defaultPem, pki.read("d.crt") + pki.read("d.key"), { mode: 0o600 });
    // The 1,000 held certificates share one PEM (HAProxy keeps one store per file either way).
    const shared = { chain: pki.issue("shared", "Bench CA", ["shared.bench.test"]), key: pki.read("shared.key") };
    const heldCerts = Array.from({ length: held }, (_, i) => ({ hostname: `h${i}.bench.test`, ...shared }));
    const fresh = Array.from({ length: runs * 2 }, (_, i) => ({
      hostname: `new${i}.bench.test`,
      chain: pki.issue(`new${i}`, "Bench CA", [`new${i}.bench.test`]),
      key: pki.read(`new${i}.key`),
    }));
    const https = new EdgeHttps(dir, defaultPem);
    const env = (certificates: HttpsEnvironment["certificates"]): HttpsEnvironment[] => [
      { environmentId: 1, certificates, acmeChallenges: [], redirectHttps: false },
    ];
    https.writeFiles(env(heldCerts));
    const lastHop = { host: "127.0.0.1", port: 30990 };
    const rendered = renderHaproxy(
      {
        dir,
        bindAddress: "127.0.0.1",
        httpPort: 30980,
        httpsPort: 30981,
        user: null,
        caFile: "/etc/ssl/certs/ca-certificates.crt",
        https: https.paths,
      },
      [
        {
          key: "e1",
          hostnames: ["www.a.test"],
          hopToken: "hop-1",
          secret: "secret-1",
          entry: lastHop,
          lastHop,
          ipBlacklist: [],
          origins: [
            {
              name: null,
              origin: { address: "127.0.0.1", port: 30991, protocol: "http" },
              resolution: { ok: true, addresses: ["127.0.0.1"] },
            },
          ],
          errorPages: {},
        },
      ],
    );
    fs.mkdirSync(path.join(dir, "files"), { recursive: true });
    for (const [rel, content] of Object.entries(rendered.files)) fs.writeFileSync(path.join(dir, rel), content);
    fs.writeFileSync(path.join(dir, "hosts.map"), rendered.hostsMap);
    fs.writeFileSync(path.join(dir, "node.map"), "drain 0\n");
    fs.writeFileSync(path.join(dir, "haproxy.cfg"), rendered.config);
    let log = "";
    const loadStarted = performance.now();
    haproxy = spawn("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "pipe"] });
    haproxy.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    haproxy.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const socket = path.join(dir, "admin.sock");
    for (let i = 0; i < 600 && !fs.existsSync(socket); i++) await sleep(50);
    if (!fs.existsSync(socket)) throw new Error(`haproxy did not start: ${log}`);
    const loadMs = performance.now() - loadStarted;

    const agentPath: number[] = [];
    let installed = [...heldCerts];
    for (let r = 0; r < runs; r++) {
      installed = [...installed, fresh[r]];
      const started = performance.now();
      const result = await https.apply(env(installed), socket);
      agentPath.push(performance.now() - started);
      if (result.reload || result.commands !== 4) throw new Error(`apply: ${JSON.stringify(result)}`);
      const serial = new X509Certificate(fresh[r].chain).serialNumber.toUpperCase();
      if ((await presentedSerial("127.0.0.1", 30981, fresh[r].hostname)) !== serial) throw new Error(`${fresh[r].hostname} not served`);
    }
    const floor: number[] = [];
    for (let r = runs; r < runs * 2; r++) {
      const c = fresh[r];
      const file = path.join(https.paths.certs, `${c.hostname}.pem`);
      const pem = `${c.chain.trim()}\n${c.key.trim()}`;
      const started = performance.now();
      await haproxyCommand(socket, `new ssl cert ${file}`);
      await haproxyCommand(socket, `set ssl cert ${file} <<\n${pem}\n`);
      await haproxyCommand(socket, `commit ssl cert ${file}`);
      const added = await haproxyCommand(socket, `add ssl crt-list ${https.paths.crtList} <<\n${file} ${c.hostname}\n`);
      floor.push(performance.now() - started);
      if (!/Success/.test(added)) throw new Error(`floor: ${added}`);
    }
    return [
      row(`one certificate installed on a node holding ${held} (EdgeHttps.apply: diff, Runtime API, files)`, agentPath, "≤ 100 ms"),
      row("floor: the 4 Runtime API commands alone (new/set/commit ssl cert, add ssl crt-list)", floor, "-"),
      row(`(HAProxy start with ${held} certificates, once)`, [loadMs], "-"),
    ];
  } finally {
    haproxy?.kill("SIGKILL");
    pki.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Both HTTPS benchmarks; rows as printed by bench/run.ts. Needs haproxy, varnishd, pebble, openssl. */
export async function benchHttps(options: { runs?: number; held?: number } = {}): Promise<HttpsBenchRow[]> {
  const missing = ["haproxy", "varnishd", "varnishadm", "pebble", "openssl"].filter((t) => !haveTool(t));
  if (missing.length) throw new Error(`bench https needs ${missing.join(", ")}`);
  const runs = options.runs ?? 5;
  return [...(await liveToServed(runs)), ...(await installOnFullNode(runs, options.held ?? 1000))];
}
