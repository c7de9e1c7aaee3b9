import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first } from "@/db";
import { auditEvents, domainCertificates, domains, edgeNodes } from "@/db/schema";
import { edgeAgent, randomPorts, type EdgeAgent } from "@/edge/agent/test-harness";
import { haveTool } from "@/edge/modules/tools";
import { haproxyCommand } from "@/edge/haproxy/runtime";
import { toHttpsBody } from "@/lib/api/operations/https";
import { createResolver } from "@/lib/dns/resolver";
import { captureLog } from "@/lib/log";
import { edgeConsoleServer } from "@/lib/testing/edge-console";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { commitFiles, git, makeApplication } from "@/lib/environments/fixtures";
import { recordPush } from "@/lib/git-http/receive";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { recentRequests } from "@/lib/traffic/query";
import { certificateKeyContext } from "./edge";
import { certificateOverview } from "./ops";
import { startCertificateScheduler, renewalAt, sweepCertificates, type CertificateScheduler } from "./scheduler";
import { openPrivateKey } from "./secret-box";
import { httpsStatus, requestRenewal, setRedirectHttps } from "./store";
import { startPebble, type TestPebble } from "./test-pebble";

// HTTPS end to end on loopback (docs/https.md): the console's own edge API handlers on a temporary SQLite file, the
// real edge agent (haproxy, varnishd) as a child process bound to 127.0.0.2, a real origin on 127.0.0.1, the test DNS
// server, and Debian's pebble validating HTTP-01 for real through the agent, issuing certificates that live 30 s
// (pebble's `certificateValidityPeriod`) so that renewal at a third of the lifetime happens while the test watches.
// The journey: the domain goes live and the real scheduler gets a certificate that `curl --resolve` verifies against
// pebble's root, reaching the origin; the redirect switch gives 308 (never for the challenge path); "Renew now"
// replaces the served certificate with the same HAProxy worker while an open keep-alive TLS connection keeps
// answering; the scheduler renews on its own at two thirds of the lifetime; a foreign AAAA, a CAA for another CA and
// a stopped node are refused before the CA sees an order; no private key appears in the console's or the agent's
// output, the audit log, or the status the pages and the API show.

const missing = ["haproxy", "varnishd", "varnishadm", "openssl", "pebble", "curl"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";

/** Lifetime of pebble's certificates in this file: renewal is due 20 s after issuance. */
const VALIDITY_SECONDS = 30;

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

/** Runs `curl` with `args`; resolves with its exit code, stdout and stderr (never rejects). */
function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", "5", ...args], { encoding: "utf8" }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A plain-HTTP GET to the node's public port with `Host: host` (no redirects followed). */
function plainGet(port: number, host: string, urlPath: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.2", port, path: urlPath, headers: { host }, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }));
    });
    request.on("error", reject);
  });
}

/** The base64 lines of a PEM key (what would show if a key leaked into a text). */
function keyLines(pem: string): string[] {
  return pem
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("-----"));
}

describe.skipIf(skip)(`HTTPS end to end: console, edge agent, pebble${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const hostname = "www.e2etls.example";
  const { httpPort, portBase } = randomPorts("httpsEdge");
  const httpsPort = httpPort + 1;
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let dns: TestDnsServer;
  let pebble: TestPebble;
  let pebbleRoot = "";
  let server: http.Server;
  let origin: http.Server;
  let agent: EdgeAgent;
  let stateDir: string;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let scheduler: CertificateScheduler | null = null;
  /** Every line the console side printed during this file (console.* and the structured log of this process). */
  const printed: string[] = [];
  let logged: ReturnType<typeof captureLog> | null = null;
  const restoreConsole: (() => void)[] = [];
  /** The base64 lines of every private key the console issued here. */
  const keys = new Set<string>();
  const workerPid = () => workerPidAt(stateDir);
  const resolver = () => createResolver([dns.address], { timeoutMs: 500, tries: 1 });
  const certRow = async () => (await first(getDb().select().from(domainCertificates)))!;
  const domainRow = async () => (await first(getDb().select().from(domains).where(eq(domains.hostname, hostname))))!;
  const httpsDomain = async () => {
    const d = await domainRow();
    return { id: d.id, accountId: d.accountId, environmentId: d.environmentId, hostname: d.hostname, hostnameUnicode: d.hostnameUnicode };
  };
  /** Notes the key of the certificate row now (opened as the desired state opens it). */
  const rememberKey = async () => {
    const row = await certRow();
    if (row.privateKeySealed)
      for (const line of keyLines(openPrivateKey(certificateKeyContext(row.domainId), row.privateKeySealed))) keys.add(line);
  };
  /** Waits until a new TLS connection gets the certificate with `serial`; returns how long that took (ms). */
  const untilServed = async (serial: string, timeoutMs = 15_000) => {
    const started = Date.now();
    let served: X509Certificate | null = null;
    while (Date.now() - started < timeoutMs) {
      served = await presented(httpsPort, hostname);
      if (served.serialNumber.toUpperCase() === serial) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `the node did not serve ${serial} within ${timeoutMs} ms (it serves ${served?.serialNumber})\n${agent.log().slice(-3000)}`,
    );
  };

  beforeAll(async () => {
    logged = captureLog();
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        printed.push(
          args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "),
        );
        original.apply(console, args);
      };
      restoreConsole.push(() => (console[method] = original));
    }
    dns = await startDnsServer();
    dns.set(hostname, [{ type: "A", value: "127.0.0.2" }]);
    pebble = await startPebble({ httpPort, dnsServer: dns.address, validitySeconds: VALIDITY_SECONDS });
    pebbleRoot = await pebble.rootFile();
    restoreEnv = setTestEnv({
      ACME_DIRECTORY_URL: pebble.directoryUrl,
      ACME_EMAIL: "ops@e2etls.example",
      ACME_CA_BUNDLE: pebble.caBundle,
      ACME_CAA_IDENTITIES: "pebble.test",
      EDGE_IPV4: "127.0.0.2",
      EDGE_IPV6: "",
      DNS_SERVERS: dns.address,
      DNS_TIMEOUT_MS: "500",
      DNS_TRIES: "1",
      ALLOW_PRIVATE_ORIGINS: "true",
    });
    temp = makeTempDataDir("ec-https-e2e-");
    clearEdgeStateCache();
    origin = http.createServer((req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(`origin answered ${req.url}\n`));
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    fixture = await makeApplication("e2etls");
    // Production's origin becomes the loopback origin (a push of section.config.json, as a customer would).
    const head = git(fixture.repo, "rev-parse", "Production");
    const config = JSON.parse(git(fixture.repo, "show", "Production:section.config.json")) as {
      environments: Record<string, { origin: object }>;
    };
    config.environments.Production.origin = { address: "127.0.0.1", protocol: "http", port: (origin.address() as AddressInfo).port };
    const pushed = await commitFiles(
      fixture.repo,
      head,
      { "section.config.json": `${JSON.stringify(config, null, 2)}\n` },
      { branch: "Production" },
    );
    await recordPush({
      application: fixture.app,
      actor: fixture.actor("owner"),
      tokenPrefix: "ec_test",
      updates: [{ ref: "refs/heads/Production", oldOid: head, newOid: pushed }],
      appUrl: "http://localhost",
    });
    await settleEdgeChanges();
    await reconcileEdgeState();
    const { token } = await createEdgeNode("edge-1");
    server = edgeConsoleServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-https-e2e-"));
    agent = edgeAgent({
      stateDir,
      consoleUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      httpPort,
      portBase,
      dnsServers: dns.address,
      token,
      // Traffic pushed every second: the CA's validation requests show in the environment's recent requests.
      env: { EDGE_METRICS_FLUSH_SECONDS: "1" },
    });
    agent.start();
    // The node has applied the environment and reported; the origin answers through it over plain HTTP.
    for (let i = 0; i < 900; i++) {
      const node = await first(getDb().select().from(edgeNodes));
      if (node?.lastContactAt && node.httpPort === httpPort && (node.appliedVersion ?? 0) > 0) {
        const answer = await plainGet(httpPort, hostname, "/ready").catch(() => null);
        if (answer?.status === 200) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await scheduler?.stop();
    await agent?.stop("SIGTERM");
    agent?.leftovers();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (origin ? origin.close(() => resolve()) : resolve()));
    await settleEdgeChanges();
    temp?.cleanup();
    restoreEnv?.();
    await pebble?.stop();
    await dns?.close();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    for (const restore of restoreConsole) restore();
    logged?.stop();
  }, 90_000);

  it("the domain goes live: the scheduler orders through the node and curl --resolve verifies HTTPS against pebble's root within 30 s", async () => {
    expect((await presented(httpsPort, hostname)).subject).toContain("CN=edge-default");
    expect((await plainGet(httpPort, hostname, "/plain")).body).toBe("origin answered /plain\n");
    await writeTransaction(async (tx) => void (await tx.update(domains).set({ status: "live" }).where(eq(domains.hostname, hostname))));
    const live = Date.now();
    scheduler = startCertificateScheduler({ intervalMs: 1000 });
    scheduler.kick();
    const resolve = `${hostname}:${httpsPort}:127.0.0.2`;
    let last = { code: -1, stdout: "", stderr: "" };
    while (Date.now() - live < 30_000) {
      last = await curl(["--resolve", resolve, "--cacert", pebbleRoot, `https://${hostname}:${httpsPort}/over-tls?x=1`]);
      if (last.code === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const servedMs = Date.now() - live;
    await scheduler.stop();
    scheduler = null;
    expect(last, `HTTPS not served within 30 s\n${agent.log().slice(-3000)}`).toMatchObject({
      code: 0,
      stdout: "origin answered /over-tls?x=1\n",
    });
    const row = await certRow();
    expect(row).toMatchObject({ state: "issued", source: "acme", sans: [hostname] });
    expect(row.issuer).toMatch(/Pebble Intermediate/);
    expect((row.notAfter!.getTime() - row.notBefore!.getTime()) / 1000).toBeCloseTo(VALIDITY_SECONDS, -1);
    expect((await presented(httpsPort, hostname)).serialNumber.toUpperCase()).toBe(row.serial);
    // Without pebble's root, curl refuses the certificate (it is not a public CA's).
    expect((await curl(["--resolve", resolve, `https://${hostname}:${httpsPort}/`])).code).toBe(60);
    await rememberKey();
    console.log(`[https e2e] domain live → HTTPS served (verified by curl) in ${servedMs} ms`);
    // pebble's HTTP-01 validation went through the node like any visitor: it is among the environment's recent
    // requests (docs/traffic.md), answered 200 from the challenge map.
    const environmentId = (await domainRow()).environmentId;
    let validation: Awaited<ReturnType<typeof recentRequests>>[number] | undefined;
    for (let i = 0; i < 100 && !validation; i++) {
      validation = (await recentRequests(environmentId)).find((r) => r.path.startsWith("/.well-known/acme-challenge/"));
      if (!validation) await new Promise((r) => setTimeout(r, 100));
    }
    expect(validation, "pebble's validation request in the recent requests").toMatchObject({ method: "GET", status: 200 });
  }, 60_000);

  it("the redirect switch: plain HTTP gets 308 to https://host:port/path?query, never the challenge path; off serves HTTP again", async () => {
    const environment = { id: (await domainRow()).environmentId, accountId: fixture.app.accountId, name: "Production" };
    expect(await setRedirectHttps({ environment, actor: fixture.actor("admin"), on: true })).toBe(true);
    let answer = await plainGet(httpPort, hostname, "/a/b?c=1");
    for (let i = 0; i < 100 && answer.status !== 308; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await plainGet(httpPort, hostname, "/a/b?c=1");
    }
    expect(answer).toMatchObject({ status: 308, location: `https://${hostname}:${httpsPort}/a/b?c=1` });
    const challenge = await plainGet(httpPort, hostname, "/.well-known/acme-challenge/unknown-token");
    expect(challenge.status).not.toBe(308);
    expect(challenge.location).toBeUndefined();
    // curl follows the 308 to HTTPS and reaches the origin.
    const followed = await curl([
      "-L",
      "--resolve",
      `${hostname}:${httpPort}:127.0.0.2`,
      "--resolve",
      `${hostname}:${httpsPort}:127.0.0.2`,
      "--cacert",
      pebbleRoot,
      `http://${hostname}:${httpPort}/followed`,
    ]);
    expect(followed).toMatchObject({ code: 0, stdout: "origin answered /followed\n" });

    expect(await setRedirectHttps({ environment, actor: fixture.actor("admin"), on: false })).toBe(true);
    for (let i = 0; i < 100 && answer.status === 308; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await plainGet(httpPort, hostname, "/a/b?c=1");
    }
    expect(answer).toMatchObject({ status: 200, body: "origin answered /a/b?c=1\n" });
  }, 30_000);

  it("Renew now: the new certificate is served by the same HAProxy worker while an open keep-alive TLS connection keeps answering", async () => {
    const before = await certRow();
    const worker = await workerPid();
    const ca = fs.readFileSync(pebbleRoot);
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<string>();
    const onOpenConnection = () =>
      new Promise<{ status: number; serial: string; body: string }>((resolve, reject) => {
        const request = https.get(
          {
            host: "127.0.0.2",
            port: httpsPort,
            servername: hostname,
            headers: { host: hostname },
            path: "/keep-alive",
            ca,
            agent: keepAlive,
          },
          (response) => {
            const socket = response.socket as tls.TLSSocket;
            sockets.add(`${socket.localAddress}:${socket.localPort}`);
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () =>
              resolve({ status: response.statusCode ?? 0, serial: socket.getPeerCertificate().serialNumber.toUpperCase(), body }),
            );
          },
        );
        request.on("error", reject);
      });
    try {
      const first = await onOpenConnection();
      expect(first).toMatchObject({ status: 200, serial: before.serial });

      scheduler = startCertificateScheduler({ intervalMs: 3_600_000 });
      expect(await requestRenewal({ domain: await httpsDomain(), actor: fixture.actor("admin") })).toEqual({ ok: true });
      scheduler.kick(); // what the "Renew now" action does
      const answers: { status: number; serial: string }[] = [];
      let after = await certRow();
      for (let i = 0; i < 300 && after.serial === before.serial; i++) {
        answers.push(await onOpenConnection());
        await new Promise((r) => setTimeout(r, 100));
        after = await certRow();
      }
      await scheduler.stop();
      scheduler = null;
      expect(after.serial, agent.log().slice(-3000)).not.toBe(before.serial);
      await untilServed(after.serial!);
      const last = await onOpenConnection();
      // The connection opened before the renewal answered throughout, still with the certificate it started with.
      expect([...answers, last].every((a) => a.status === 200)).toBe(true);
      expect(last).toMatchObject({ status: 200, serial: before.serial, body: "origin answered /keep-alive\n" });
      expect(sockets.size).toBe(1);
      expect(await workerPid()).toBe(worker); // the same HAProxy worker: no reload
      await rememberKey();
    } finally {
      keepAlive.destroy();
    }
  }, 60_000);

  it("renews on its own once a third of the lifetime is left (pebble's 30 s certificates, the real scheduler, no clock tricks)", async () => {
    const before = await certRow();
    const due = renewalAt(before.notBefore!, before.notAfter!);
    expect(before.nextTryAt!.getTime()).toBe(due.getTime());
    scheduler = startCertificateScheduler({ intervalMs: 500 });
    let after = await certRow();
    const deadline = due.getTime() + 20_000;
    while (after.serial === before.serial && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await certRow();
    }
    await scheduler.stop();
    scheduler = null;
    expect(after.serial, agent.log().slice(-3000)).not.toBe(before.serial);
    // Not before two thirds of the lifetime (the new certificate's start is when pebble issued it).
    expect(after.lastAttemptAt!.getTime()).toBeGreaterThanOrEqual(due.getTime() - 1000);
    expect(after.lastAttemptAt!.getTime()).toBeLessThan(before.notAfter!.getTime());
    await untilServed(after.serial!);
    const issued = await getDb().select().from(auditEvents).where(eq(auditEvents.action, "certificate.issued"));
    expect(issued.at(-1)!.data).toMatchObject({ serial: after.serial, renewal: true });
    await rememberKey();
    console.log(
      `[https e2e] renewed at ${((after.lastAttemptAt!.getTime() - before.notBefore!.getTime()) / 1000).toFixed(1)} s of a ${VALIDITY_SECONDS} s lifetime`,
    );
  }, 60_000);

  it("pre-flight refusals through the real node: a foreign AAAA, a CAA for another CA, a stopped node; pebble sees no order", async () => {
    const due = async () => writeTransaction(async (tx) => void (await tx.update(domainCertificates).set({ nextTryAt: new Date() })));
    const served = (await certRow()).serial;
    const orders = pebble.orders();
    expect(orders).toBeGreaterThan(0);

    dns.set(hostname, [
      { type: "A", value: "127.0.0.2" },
      { type: "AAAA", value: "2001:db8::1" },
    ]);
    await due();
    let sweep = await sweepCertificates({ resolver: resolver() });
    expect(sweep.outcomes).toEqual([
      expect.objectContaining({
        result: "failed",
        step: "dns",
        reason: `AAAA 2001:db8::1 on ${hostname} does not point at the edge: remove it.`,
      }),
    ]);
    const status = await httpsStatus(await domainRow());
    expect(status).toMatchObject({ state: "failed", failureStep: "dns", serial: served });

    dns.set(hostname, [{ type: "A", value: "127.0.0.2" }]);
    dns.set("e2etls.example", [{ type: "CAA", value: '0 issue "digicert.com"' }]);
    await due();
    sweep = await sweepCertificates({ resolver: resolver() });
    expect(sweep.outcomes).toEqual([
      expect.objectContaining({
        step: "caa",
        reason: 'CAA on e2etls.example allows only digicert.com: add CAA 0 issue "pebble.test" on e2etls.example.',
      }),
    ]);
    dns.remove("e2etls.example");

    // The failed renewals kept the served certificate on the node.
    expect((await presented(httpsPort, hostname)).serialNumber.toUpperCase()).toBe(served);

    // A stopped node: it reported a moment ago (still active), but applies nothing.
    await agent.stop("SIGTERM");
    await due();
    sweep = await sweepCertificates({ resolver: resolver(), nodesWaitMs: 1500 });
    expect(sweep.outcomes).toEqual([
      expect.objectContaining({ result: "failed", step: "nodes", reason: "Edge node edge-1 did not apply the challenge within 2 s." }),
    ]);
    expect(pebble.orders()).toBe(orders);
    const audit = await getDb()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "certificate.failed"), eq(auditEvents.targetLabel, hostname)));
    expect(audit.map((a) => (a.data as { step: string }).step)).toEqual(["dns", "caa", "nodes"]);
  }, 60_000);

  it("no private key in the console's or the agent's output, the audit log, the status pages and the API body", async () => {
    expect(keys.size).toBeGreaterThan(4); // three certificates, several base64 lines each
    const domain = await domainRow();
    const texts: [string, string][] = [
      ["console output", printed.join("\n")],
      ["console log", logged!.text()],
      ["agent output", agent.log()],
      ["audit log", JSON.stringify(await getDb().select().from(auditEvents))],
      ["domain page status", JSON.stringify(await httpsStatus(domain))],
      ["API body", JSON.stringify(toHttpsBody(await httpsStatus(domain)))],
      ["/ops/certificates", JSON.stringify(await certificateOverview())],
    ];
    expect(logged!.text()).toContain("[certificates] issued");
    for (const [where, text] of texts) {
      expect(text, where).not.toMatch(/PRIVATE KEY/);
      for (const line of keys) expect(text.includes(line), `${where} holds a line of a private key`).toBe(false);
    }
  });
});
