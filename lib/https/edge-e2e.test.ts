import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction } from "@/db";
import { domainCertificates, domains, edgeNodes } from "@/db/schema";
import { edgeAgent, randomPorts, type EdgeAgent } from "@/edge/agent/test-harness";
import { haveTool } from "@/edge/modules/tools";
import { haproxyCommand } from "@/edge/haproxy/runtime";
import { createResolver } from "@/lib/dns/resolver";
import { handleEdgeReport, handleEdgeState } from "@/lib/edge/api";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { makeApplication } from "@/lib/environments/fixtures";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { startPebble, type TestPebble } from "./test-pebble";
import { sweepCertificates } from "./scheduler";

// HTTPS end to end on loopback (docs/https.md): the console's own edge API handlers on a temporary SQLite file, the
// real edge agent (haproxy, varnishd) as a child process bound to 127.0.0.2, the test DNS server, and Debian's pebble
// validating HTTP-01 for real through the agent. One sweep: pre-flight through the node, order, validation, issuance;
// then the node serves the certificate over TLS without a reload.

const missing = ["haproxy", "varnishd", "varnishadm", "openssl", "pebble"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";

/** The console's two edge routes on a loopback HTTP server, calling the real handlers. */
function consoleServer(): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const abort = new AbortController();
      res.on("close", () => !res.writableEnded && abort.abort());
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const request = new Request(url, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        signal: abort.signal,
      });
      const response = url.pathname === "/api/edge/v1/state" ? await handleEdgeState(request) : await handleEdgeReport(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => res.writeHead(500).end());
  });
}

/** The certificate the node presents for `servername` on 127.0.0.2:`port`. */
function presented(port: number, servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.2", port, servername, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.on("error", reject);
  });
}

/** The pid of the HAProxy worker serving now (`show info` on the admin socket): a reload starts a new worker. */
async function workerPidAt(stateDir: string): Promise<string> {
  const info = await haproxyCommand(path.join(stateDir, "haproxy", "admin.sock"), "show info", 2000);
  return /^Pid: (\d+)/m.exec(info)?.[1] ?? "";
}

describe.skipIf(skip)(`HTTPS end to end: console, edge agent, pebble${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const hostname = "www.e2etls.example";
  const { httpPort, portBase } = randomPorts("httpsEdge");
  const httpsPort = httpPort + 1;
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let dns: TestDnsServer;
  let pebble: TestPebble;
  let server: http.Server;
  let agent: EdgeAgent;
  let stateDir: string;
  const workerPid = () => workerPidAt(stateDir);

  beforeAll(async () => {
    dns = await startDnsServer();
    dns.set(hostname, [{ type: "A", value: "127.0.0.2" }]);
    pebble = await startPebble({ httpPort, dnsServer: dns.address });
    restoreEnv = setTestEnv({
      ACME_DIRECTORY_URL: pebble.directoryUrl,
      ACME_EMAIL: "ops@e2etls.example",
      ACME_CA_BUNDLE: pebble.caBundle,
      ACME_CAA_IDENTITIES: "pebble.test",
      EDGE_IPV4: "127.0.0.2",
      EDGE_IPV6: "",
      DNS_SERVERS: dns.address,
      ALLOW_PRIVATE_ORIGINS: "true",
    });
    temp = makeTempDataDir("ec-https-e2e-");
    clearEdgeStateCache();
    await makeApplication("e2etls");
    await writeTransaction(
      async (tx) => void (await tx.update(domains).set({ status: "live" }).where(eq(domains.hostname, hostname)).run()),
    );
    await settleEdgeChanges();
    await reconcileEdgeState();
    const { token } = await createEdgeNode("edge-1");
    server = consoleServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-https-e2e-"));
    agent = edgeAgent({
      stateDir,
      consoleUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      httpPort,
      portBase,
      dnsServers: dns.address,
      token,
    });
    agent.start();
    // The node has applied the environment and reported.
    for (let i = 0; i < 900; i++) {
      const node = await getDb().select().from(edgeNodes).get();
      if (node?.lastContactAt && node.httpPort === httpPort && (node.appliedVersion ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await agent?.stop("SIGTERM");
    agent?.leftovers();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server?.closeAllConnections();
    await settleEdgeChanges();
    temp?.cleanup();
    restoreEnv?.();
    await pebble?.stop();
    await dns?.close();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("issues through the node (pre-flight, HTTP-01 answered by HAProxy, pebble validating) and the node serves it", async () => {
    expect(new X509Certificate((await presented(httpsPort, hostname)).raw).subject).toContain("CN=edge-default");
    const started = Date.now();
    const sweep = await sweepCertificates({ resolver: createResolver([dns.address], { timeoutMs: 500, tries: 1 }) });
    const issuedMs = Date.now() - started;
    expect(sweep.outcomes, agent.log().slice(-3000)).toEqual([expect.objectContaining({ result: "issued", hostname })]);
    const row = (await getDb().select().from(domainCertificates).get())!;
    expect(row).toMatchObject({ state: "issued", source: "acme", sans: [hostname] });
    expect(row.issuer).toMatch(/Pebble Intermediate/);

    let served: X509Certificate | null = null;
    for (let i = 0; i < 100; i++) {
      served = await presented(httpsPort, hostname);
      if (served.serialNumber.toUpperCase() === row.serial) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const servedMs = Date.now() - started;
    expect(served!.serialNumber.toUpperCase()).toBe(row.serial);
    expect(served!.checkHost(hostname)).toBe(hostname);
    const o = sweep.outcomes[0] as Extract<(typeof sweep.outcomes)[number], { result: "issued" }>;
    console.log(
      `[https e2e] order ${o.ms} ms (node applied the challenge in ${o.nodesMs} ms, CA validated in ${o.validationMs} ms); sweep with pre-flight ${issuedMs} ms; served by the node ${servedMs} ms after the sweep began`,
    );
  }, 120_000);

  it("renews (Renew now): the new certificate replaces the old one on the node, HAProxy not reloaded", async () => {
    const before = (await getDb().select().from(domainCertificates).get())!;
    const worker = await workerPid();
    await writeTransaction(async (tx) => void (await tx.update(domainCertificates).set({ nextTryAt: new Date() }).run()));
    const sweep = await sweepCertificates({ resolver: createResolver([dns.address], { timeoutMs: 500, tries: 1 }) });
    expect(sweep.outcomes).toEqual([expect.objectContaining({ result: "issued" })]);
    const after = (await getDb().select().from(domainCertificates).get())!;
    expect(after.serial).not.toBe(before.serial);
    let served: X509Certificate | null = null;
    for (let i = 0; i < 100; i++) {
      served = await presented(httpsPort, hostname);
      if (served.serialNumber.toUpperCase() === after.serial) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(served!.serialNumber.toUpperCase()).toBe(after.serial);
    expect(await workerPid()).toBe(worker); // the same HAProxy worker: no reload
  }, 120_000);
});
