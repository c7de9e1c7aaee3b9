import { X509Certificate } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first } from "@/db";
import { acmeAccounts, auditEvents, domainCertificates, domains, edgeNodeEnvironments } from "@/db/schema";
import { haveTool } from "@/edge/modules/tools";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { recordEdgeReport } from "@/lib/edge/report";
import { buildDesiredState, clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { makeApplication } from "@/lib/environments/fixtures";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { AcmeOrderError, acmeClient, orderCertificate } from "./acme";
import { makeTestPki, type TestPki } from "./test-pki";
import { freePort, startPebble, type TestPebble } from "./test-pebble";
import { certificateOverview } from "./ops";
import {
  claimDueCertificates,
  kickCertificateScheduler,
  mailExpiringCertificates,
  nextRetryAt,
  renewalAt,
  startCertificateScheduler,
  sweepCertificates,
} from "./scheduler";
import { httpsStatus, requestRenewal, returnToAcme, setRedirectHttps, uploadOwnCertificate } from "./store";

// The console side of HTTPS (docs/https.md) on a temporary SQLite file, the loopback test DNS server and Debian's
// pebble with real validation: rows and leases, the pre-flight refusing before anything reaches the CA, the account
// and orders at the CA, own certificates, the desired state. No edge node answers HTTP here (the agent side does):
// orders that reach validation fail with pebble's own reason.

const runPebble = haveTool("pebble") || process.env.CI === "true";

describe.skipIf(!runPebble)("HTTPS certificates (needs pebble and openssl)", () => {
  let dns: TestDnsServer;
  let resolver: Resolver;
  let pebble: TestPebble;
  let httpPort: number;
  let restoreEnv: () => void;
  let temp: ReturnType<typeof makeTempDataDir>;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let pki: TestPki;
  const hostname = "www.tls.example";

  beforeAll(async () => {
    dns = await startDnsServer();
    resolver = createResolver([dns.address], { timeoutMs: 500, tries: 1 });
    httpPort = await freePort(); // the nodes' HTTP port: nothing listens on it in this file
    pebble = await startPebble({ httpPort, dnsServer: dns.address });
    pki = makeTestPki();
    restoreEnv = setTestEnv({
      ACME_DIRECTORY_URL: pebble.directoryUrl,
      ACME_EMAIL: "ops@tls.example",
      ACME_CA_BUNDLE: pebble.caBundle,
      ACME_CAA_IDENTITIES: "pebble.test",
      EDGE_IPV4: "127.0.0.1",
      EDGE_IPV6: "",
      DNS_SERVERS: dns.address,
    });
  }, 30_000);
  afterAll(async () => {
    restoreEnv?.();
    pki?.remove();
    await pebble?.stop();
    await dns?.close();
  });

  beforeEach(async () => {
    dns.reset();
    temp = makeTempDataDir("ec-https-");
    clearEdgeStateCache();
    fixture = await makeApplication("tls");
    await writeTransaction(async (tx) => {
      await tx.update(domains).set({ status: "live" }).where(eq(domains.hostname, hostname));
    });
    await settleEdgeChanges();
    await reconcileEdgeState();
  });
  afterEach(async () => {
    await settleEdgeChanges();
    temp.cleanup();
  });

  const domainRow = async () => (await first(getDb().select().from(domains).where(eq(domains.hostname, hostname))))!;
  const certRow = async () => first(getDb().select().from(domainCertificates));
  const audits = async (action: string) => getDb().select().from(auditEvents).where(eq(auditEvents.action, action));
  const activeNode = async () => {
    const { node } = await createEdgeNode("edge-1");
    await recordEdgeReport(node.id, { version: 0, ports: { http: httpPort, https: 8443 }, environments: [] }, "127.0.0.1");
    return node;
  };
  const ordersAtCa = () => (pebble.output().match(/POST \/order-plz/g) ?? []).length;

  it("schedules: the retry policy and the renewal point", () => {
    const first = new Date("2026-01-01T00:00:00Z");
    expect(nextRetryAt(first, new Date("2026-01-01T05:00:00Z")).toISOString()).toBe("2026-01-01T05:10:00.000Z");
    expect(nextRetryAt(first, new Date("2026-01-02T01:00:00Z")).toISOString()).toBe("2026-01-02T02:00:00.000Z");
    // 90 days of lifetime: renewed with 30 days left.
    expect(renewalAt(new Date("2026-01-01T00:00:00Z"), new Date("2026-04-01T00:00:00Z")).toISOString()).toBe("2026-03-02T00:00:00.000Z");
  });

  it("waits without an active node, then refuses a foreign AAAA before anything reaches the CA, and retries in 10 minutes", async () => {
    dns.set(hostname, [
      { type: "A", value: "127.0.0.1" },
      { type: "AAAA", value: "2001:db8::1" },
    ]);
    const before = ordersAtCa();
    const idle = await sweepCertificates({ resolver });
    expect(idle.made).toBe(1);
    expect(idle.outcomes).toEqual([expect.objectContaining({ result: "waiting", reason: "no edge node is active" })]);
    expect((await certRow())!.state).toBe("pending");

    await activeNode();
    await writeTransaction(async (tx) => void (await tx.update(domainCertificates).set({ nextTryAt: new Date() })));
    const now = new Date();
    const r = await sweepCertificates({ resolver, now: () => now });
    expect(r.outcomes).toEqual([
      expect.objectContaining({
        result: "failed",
        step: "dns",
        reason: "AAAA 2001:db8::1 on www.tls.example does not point at the edge: remove it.",
      }),
    ]);
    const row = (await certRow())!;
    expect(row).toMatchObject({ state: "failed", failureStep: "dns", attempts: 1, leaseUntil: null });
    expect(row.nextTryAt!.getTime()).toBe(now.getTime() + 10 * 60_000);
    expect(await audits("certificate.failed")).toHaveLength(1);
    expect(ordersAtCa()).toBe(before);

    // The same failure again is not audited twice.
    await writeTransaction(async (tx) => void (await tx.update(domainCertificates).set({ nextTryAt: new Date() })));
    await sweepCertificates({ resolver });
    expect((await certRow())!.attempts).toBe(2);
    expect(await audits("certificate.failed")).toHaveLength(1);

    const status = await httpsStatus(await domainRow());
    expect(status).toMatchObject({ state: "failed", acmeEnabled: true, failureReason: expect.stringContaining("AAAA 2001:db8::1") });

    const overview = await certificateOverview();
    expect(overview.counts).toEqual({ none: 0, pending: 0, issued: 0, failed: 1 });
    expect(overview.failed).toEqual([expect.objectContaining({ hostname, accountName: "Acme tls", failureStep: "dns", attempts: 2 })]);
  });

  it("mails owners and admins once when the served certificate expires within 14 days and renewal fails", async () => {
    const domain = await domainRow();
    pki.ca("Soon CA");
    const chain = pki.issue("soon", "Soon CA", [hostname], { days: 10 });
    await uploadOwnCertificate({ domain, actor: null, chainText: chain, keyText: pki.read("soon.key") });
    // As if it had come from ACME and its renewal kept failing.
    await writeTransaction(
      async (tx) =>
        void (await tx
          .update(domainCertificates)
          .set({ source: "acme", state: "failed", failureReason: "CAA on tls.example allows only digicert.com." })),
    );
    expect(await mailExpiringCertificates()).toBe(2); // owner and admin of the fixture's account
    expect(await mailExpiringCertificates()).toBe(0);
    expect((await certificateOverview()).expiring).toEqual([expect.objectContaining({ hostname, issuer: "Soon CA" })]);
    expect(await audits("certificate.expiry-mail")).toHaveLength(1);
  });

  it("refuses when CAA on a parent allows another CA", async () => {
    await activeNode();
    dns.set(hostname, [{ type: "A", value: "127.0.0.1" }]);
    dns.set("tls.example", [{ type: "CAA", value: '0 issue "digicert.com"' }]);
    const r = await sweepCertificates({ resolver });
    expect(r.outcomes).toEqual([
      expect.objectContaining({
        step: "caa",
        reason: 'CAA on tls.example allows only digicert.com: add CAA 0 issue "pebble.test" on tls.example.',
      }),
    ]);
  });

  it("puts the pre-flight token in the desired state, waits for the node's report, then asks the edge over HTTP (nobody answers here)", async () => {
    const node = await activeNode();
    dns.set(hostname, [{ type: "A", value: "127.0.0.1" }]);
    const before = ordersAtCa();
    const sweep = sweepCertificates({ resolver, nodesWaitMs: 10_000 });
    let token: string | null = null;
    for (let i = 0; i < 400 && !token; i++) {
      const state = await buildDesiredState({ name: "edge-1", drain: false }, 0);
      token = state.environments[0]?.acmeChallenges[0]?.token ?? null;
      if (!token) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const env = (await buildDesiredState({ name: "edge-1", drain: false }, 0)).environments[0];
    expect(env.acmeChallenges).toEqual([{ hostname, token, keyAuthorization: expect.stringMatching(new RegExp(`^${token}\\.`)) }]);
    await recordEdgeReport(
      node.id,
      {
        version: 1,
        ports: { http: httpPort },
        environments: [{ environmentId: env.environmentId, version: env.version, status: "applied", acmeChallenges: [token!] }],
      },
      "127.0.0.1",
    );
    const r = await sweep;
    expect(r.outcomes).toEqual([
      expect.objectContaining({
        result: "failed",
        step: "http",
        reason: `http://${hostname}/.well-known/acme-challenge/${token} through 127.0.0.1:${httpPort} could not be reached (ECONNREFUSED).`,
      }),
    ]);
    expect(ordersAtCa()).toBe(before);
    const after = await buildDesiredState({ name: "edge-1", drain: false }, 0);
    expect(after.environments[0].acmeChallenges).toEqual([]);
    const reported = await first(getDb().select().from(edgeNodeEnvironments).where(eq(edgeNodeEnvironments.nodeId, node.id)));
    expect(reported?.acmeTokens).toEqual([token]);
  });

  it("names the node that did not apply the challenge in time", async () => {
    await activeNode();
    dns.set(hostname, [{ type: "A", value: "127.0.0.1" }]);
    const r = await sweepCertificates({ resolver, nodesWaitMs: 300 });
    expect(r.outcomes).toEqual([
      expect.objectContaining({ step: "nodes", reason: "Edge node edge-1 did not apply the challenge within 0 s." }),
    ]);
  });

  it("leases: two sweeps claiming at once never take the same certificate", async () => {
    await activeNode();
    dns.set(hostname, [{ type: "A", value: "127.0.0.1" }]);
    await sweepCertificates({ resolver, limit: 0 }); // makes the row only
    const now = new Date();
    const [a, b] = await Promise.all([claimDueCertificates(now, 10), claimDueCertificates(now, 10)]);
    expect(a.length + b.length).toBe(1);
  });

  it("the scheduler sweeps when kicked (Renew now) and stops cleanly", async () => {
    const scheduler = startCertificateScheduler({ intervalMs: 3_600_000 });
    try {
      kickCertificateScheduler();
      let row = await certRow();
      for (let i = 0; i < 100 && !row; i++) {
        await new Promise((r) => setTimeout(r, 50));
        row = await certRow();
      }
      expect(row).toMatchObject({ hostname, source: "acme" });
    } finally {
      await scheduler.stop();
    }
  });

  it("creates the ACME account once (key sealed) and reuses it", async () => {
    const first = await acmeClient();
    const second = await acmeClient();
    expect(second.getAccountUrl()).toBe(first.getAccountUrl());
    const rows = await getDb().select().from(acmeAccounts);
    expect(rows).toHaveLength(1);
    expect(rows[0].accountUrl).toBe(first.getAccountUrl());
    expect(rows[0].accountUrl).toContain(new URL(pebble.directoryUrl).host);
    expect(rows[0].keySealed).toMatch(/^k1\./);
    expect(rows[0].keySealed).not.toContain("PRIVATE KEY");
  });

  it("orders at pebble: hands over the HTTP-01 token and key authorization, stops when nodes are not ready", async () => {
    dns.set(hostname, [{ type: "A", value: "127.0.0.1" }]);
    const client = await acmeClient();
    const handed: { token: string; keyAuthorization: string }[] = [];
    const withdrawn: string[] = [];
    const started = Date.now();
    const error = await orderCertificate({
      hostname,
      client,
      publish: async (token, keyAuthorization) => {
        handed.push({ token, keyAuthorization });
        throw new AcmeOrderError("nodes", "Edge node edge-1 did not apply the challenge within 0 s.");
      },
      withdraw: async (token) => void withdrawn.push(token),
    }).catch((e: unknown) => e);
    const ms = Date.now() - started;
    expect(error).toBeInstanceOf(AcmeOrderError);
    expect((error as AcmeOrderError).step).toBe("nodes");
    expect(handed).toHaveLength(1);
    expect(handed[0].keyAuthorization.startsWith(`${handed[0].token}.`)).toBe(true);
    expect(withdrawn).toEqual([handed[0].token]);
    expect(pebble.output()).toMatch(/Added order/);
    console.log(`[https] order created and challenge handed over at pebble in ${ms} ms`);
  });

  it("orders at pebble: the CA's own validation failure comes back as the reason (no node answers on the HTTP port)", async () => {
    dns.set(hostname, [{ type: "A", value: "127.0.0.1" }]);
    const client = await acmeClient();
    const started = Date.now();
    const error = (await orderCertificate({ hostname, client, publish: async () => undefined, withdraw: async () => undefined }).catch(
      (e: unknown) => e,
    )) as AcmeOrderError;
    expect(error).toBeInstanceOf(AcmeOrderError);
    expect(error.step).toBe("acme");
    expect(error.message).toMatch(/^The CA refused the order for www\.tls\.example: /);
    expect(error.message).toMatch(/connection refused|Connection refused|connect/i);
    console.log(`[https] pebble refused validation in ${Date.now() - started} ms: ${error.message}`);
  });

  it("own certificate: stored sealed, served in the desired state, audited without the key; back to ACME; Renew now rate-limited", async () => {
    pki.ca("Own CA");
    const chain = pki.issue("own", "Own CA", [hostname]);
    const key = pki.read("own.key");
    const domain = await domainRow();
    const admin = fixture.actor("admin");

    const refused = await uploadOwnCertificate({ domain, actor: admin, chainText: chain, keyText: pki.key("other") });
    expect(refused).toEqual({ ok: false, errors: [expect.objectContaining({ field: "private_key" })] });

    const checkOnly = await uploadOwnCertificate({ domain, actor: admin, chainText: chain, keyText: key, verifyOnly: true });
    expect(checkOnly).toMatchObject({ ok: true, stored: false });
    expect(await certRow()).toBeUndefined();

    const stored = await uploadOwnCertificate({ domain, actor: admin, chainText: chain, keyText: key });
    expect(stored).toMatchObject({ ok: true, stored: true });
    const row = (await certRow())!;
    expect(row).toMatchObject({ source: "custom", state: "issued", issuer: "Own CA", sans: [hostname] });
    expect(row.privateKeySealed).not.toContain("PRIVATE KEY");
    const state = await buildDesiredState({ name: "edge-1", drain: false }, 0);
    const served = state.environments[0].certificates;
    expect(served).toHaveLength(1);
    expect(new X509Certificate(served[0].chain).checkPrivateKey((await import("node:crypto")).createPrivateKey(served[0].key))).toBe(true);
    const uploadAudit = await audits("certificate.upload");
    expect(uploadAudit).toHaveLength(1);
    expect(JSON.stringify(uploadAudit)).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(uploadAudit)).not.toContain("BEGIN CERTIFICATE");

    expect(await requestRenewal({ domain, actor: admin })).toMatchObject({ ok: false, refusal: { code: "custom" } });
    expect(await returnToAcme({ domain, actor: admin })).toBe(true);
    expect((await certRow())!).toMatchObject({ source: "acme", state: "none", chainPem: null, privateKeySealed: null });
    expect((await buildDesiredState({ name: "edge-1", drain: false }, 0)).environments[0].certificates).toEqual([]);

    expect(await requestRenewal({ domain, actor: admin })).toEqual({ ok: true });
    expect(await requestRenewal({ domain, actor: admin })).toMatchObject({ ok: false, refusal: { code: "rate-limited" } });
    expect(await audits("certificate.renew")).toHaveLength(1);
    expect(await audits("certificate.remove")).toHaveLength(1);
  });

  it("redirect flag: stored, audited, in the desired state at a new version", async () => {
    const before = await buildDesiredState({ name: "edge-1", drain: false }, 0);
    expect(before.environments[0].redirectHttps).toBe(false);
    const production = before.environments[0];
    const environment = { id: production.environmentId, accountId: production.accountId, name: production.name };
    expect(await setRedirectHttps({ environment, actor: fixture.actor("admin"), on: true })).toBe(true);
    expect(await setRedirectHttps({ environment, actor: fixture.actor("admin"), on: true })).toBe(false);
    const after = await buildDesiredState({ name: "edge-1", drain: false }, before.version);
    expect(after.environments.map((e) => [e.environmentId, e.redirectHttps])).toEqual([[production.environmentId, true]]);
    expect(after.version).toBeGreaterThan(before.version);
    const audit = await getDb()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "environment.redirect-https"), eq(auditEvents.targetId, production.environmentId)));
    expect(audit.map((a) => a.data)).toEqual([{ on: true }]);
  });
});
