import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, applications, auditEvents, dnsChecks, domains, environments } from "@/db/schema";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { setTestEnv } from "@/lib/testing/env";
import {
  canVerifyNow,
  checkDomain,
  checkDomains,
  nextCheckDelayMs,
  observe,
  resolvesToEdge,
  statusAfter,
  type CheckRecords,
} from "./go-live";
import { createResolver, type Resolver } from "./resolver";

// The go-live check end to end: node's resolver over UDP to a DNS server on 127.0.0.1, a temporary SQLite file.
const ENV = {
  EDGE_CNAME_SUFFIX: "edge.localhost",
  EDGE_IPV4: "192.0.2.10,192.0.2.11",
  EDGE_IPV6: "2001:db8:e::1",
  DNS_TIMEOUT_MS: "300",
  DNS_TRIES: "1",
};
let restoreEnv: () => void;
let dnsServer: TestDnsServer;
let resolver: Resolver;
let temp: { cleanup: () => void };
let environmentId: number;
let applicationId: number;
let accountId: number;
let counter = 0;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({ ...ENV, DNS_SERVERS: dnsServer.address });
  temp = makeTempDataDir("ec-golive-");
  resolver = createResolver([dnsServer.address]);
  await writeTransaction(async (db) => {
    accountId = (await one(db.insert(accounts).values({ name: "Acme" }).returning())).id;
    applicationId = (
      await one(
        db
          .insert(applications)
          .values({ accountId, name: "www.acme.test", repoName: "www-acme-test", repoDir: "app-1", stackId: "varnish" })
          .returning(),
      )
    ).id;
    environmentId = (await one(db.insert(environments).values({ accountId, applicationId, name: "Production" }).returning())).id;
  });
});

afterAll(async () => {
  temp.cleanup();
  restoreEnv();
  await dnsServer.close();
});

/** Inserts a domain row; hostnames get a unique suffix so tests share one zone without clashing. */
function addDomain(label: string, opts: { isApex?: boolean; ownershipRequired?: boolean; token?: string } = {}) {
  const hostname = `${label}.t${++counter}.test`;
  return writeTransaction((tx) =>
    one(
      tx
        .insert(domains)
        .values({
          accountId,
          applicationId,
          environmentId,
          hostname,
          hostnameUnicode: hostname,
          isApex: opts.isApex ?? false,
          verificationToken: opts.token ?? `token-${counter}`,
          ownershipRequired: opts.ownershipRequired ?? false,
        })
        .returning(),
    ),
  );
}
const target = (hostname: string) => `${hostname}.edge.localhost`;
const domainRow = async (id: number) => (await first(getDb().select().from(domains).where(eq(domains.id, id))))!;
const checksOf = (id: number) => getDb().select().from(dnsChecks).where(eq(dnsChecks.domainId, id)).orderBy(asc(dnsChecks.id));
const auditOf = (hostname: string) =>
  getDb().select().from(auditEvents).where(eq(auditEvents.targetLabel, hostname)).orderBy(asc(auditEvents.id));

async function check(id: number, now = new Date()) {
  const result = await checkDomain(id, { resolver, now });
  if (result.skipped) throw new Error(`skipped: ${result.skipped}`);
  return result;
}

describe("checkDomain", () => {
  it("is live for a CNAME straight to the target, and stores the check", async () => {
    const d = await addDomain("www");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    const now = new Date("2030-01-01T00:00:00Z");
    const r = await check(d.id, now);
    expect(r).toMatchObject({ status: "live", previousStatus: "pending", changed: true });
    expect(r.check).toMatchObject({
      outcome: "live",
      status: "live",
      reason: "cname-target",
      resolver: dnsServer.address,
      errorCode: null,
    });
    expect((r.check.records as CheckRecords).chain).toEqual([target(d.hostname)]);
    const row = await domainRow(d.id);
    expect(row).toMatchObject({ status: "live", flagged: false, failureStreak: 0, leaseUntil: null });
    expect(row.lastCheckedAt).toEqual(now);
    expect(row.lastSuccessAt).toEqual(now);
    const delay = row.nextCheckAt!.getTime() - now.getTime();
    expect(delay).toBeGreaterThanOrEqual(12 * 3600_000);
    expect(delay).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("follows shop → alias.example.net → the target and stores the chain", async () => {
    const d = await addDomain("shop");
    const alias = `alias.${d.hostname}.example.net`;
    dnsServer.set(d.hostname, [{ type: "CNAME", value: alias }]);
    dnsServer.set(alias, [{ type: "CNAME", value: target(d.hostname) }]);
    const r = await check(d.id);
    expect(r.status).toBe("live");
    expect((r.check.records as CheckRecords).chain).toEqual([alias, target(d.hostname)]);
  });

  it("compares the target case-insensitively and without trailing dot", async () => {
    const d = await addDomain("case");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname).toUpperCase() + "." }]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "live", reason: "cname-target" });
  });

  it("is misconfigured for a CNAME elsewhere, naming what was found and the target", async () => {
    const d = await addDomain("elsewhere");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: "foo.example.net" }]);
    dnsServer.set("foo.example.net", [{ type: "A", value: "203.0.113.9" }]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ outcome: "misconfigured", reason: "foreign-cname" });
    const records = r.check.records as CheckRecords;
    expect(records).toMatchObject({ chain: ["foo.example.net"], a: ["203.0.113.9"], aaaa: [] });
    expect(records.explanation).toContain("foo.example.net");
    expect(records.explanation).toContain(target(d.hostname));
  });

  it("is live for an apex whose A records are all in EDGE_IPV4, and stores their TTL", async () => {
    const d = await addDomain("apex", { isApex: true });
    dnsServer.set(d.hostname, [
      { type: "A", value: "192.0.2.10", ttl: 120 },
      { type: "A", value: "192.0.2.11", ttl: 60 },
      { type: "AAAA", value: "2001:db8:e::1" },
    ]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "live", reason: "edge-a" });
    expect(r.check.records).toMatchObject({ chain: [], a: ["192.0.2.10", "192.0.2.11"], aaaa: ["2001:db8:e::1"], ttl: 60 });
  });

  it("is misconfigured for an apex with one foreign A record", async () => {
    const d = await addDomain("apex-foreign", { isApex: true });
    dnsServer.set(d.hostname, [
      { type: "A", value: "192.0.2.10" },
      { type: "A", value: "203.0.113.5" },
    ]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "misconfigured", reason: "foreign-a" });
    expect((r.check.records as CheckRecords).explanation).toBe(`remove the A record 203.0.113.5 from ${d.hostname}.`);
  });

  it("is misconfigured for an AAAA record outside EDGE_IPV6", async () => {
    const d = await addDomain("apex-v6", { isApex: true });
    dnsServer.set(d.hostname, [
      { type: "A", value: "192.0.2.10" },
      { type: "AAAA", value: "2001:db8::1" },
    ]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "misconfigured", reason: "foreign-aaaa" });
    expect((r.check.records as CheckRecords).explanation).toBe(`remove the AAAA record 2001:db8::1 from ${d.hostname}.`);
  });

  it("is nxdomain for a name that does not exist", async () => {
    const d = await addDomain("unknown");
    const r = await check(d.id);
    expect(r.check).toMatchObject({ outcome: "nxdomain", status: "nxdomain", reason: "nxdomain" });
  });

  it("is misconfigured (dangling) for a CNAME to a name that does not exist", async () => {
    const d = await addDomain("dangling");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: "gone.example.net" }]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "misconfigured", reason: "dangling" });
    expect((r.check.records as CheckRecords).chain).toEqual(["gone.example.net"]);
  });

  it("detects a CNAME loop at once, with the chain, asking each name once", async () => {
    const d = await addDomain("loop");
    const other = `b.${d.hostname}`;
    dnsServer.set(d.hostname, [{ type: "CNAME", value: other }]);
    dnsServer.set(other, [{ type: "CNAME", value: d.hostname }]);
    dnsServer.clearQueries();
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "misconfigured", reason: "loop", errorCode: null });
    expect((r.check.records as CheckRecords).chain).toEqual([other, d.hostname]);
    const asked = dnsServer
      .queries()
      .filter((q) => q.type === "CNAME")
      .map((q) => q.name);
    expect(asked).toEqual([d.hostname, other]);
  });

  it("stops a chain longer than 8 hops (too-long)", async () => {
    const d = await addDomain("long");
    const names = Array.from({ length: 10 }, (_, i) => `h${i}.${d.hostname}`);
    dnsServer.set(d.hostname, [{ type: "CNAME", value: names[0] }]);
    names.slice(0, -1).forEach((n, i) => dnsServer.set(n, [{ type: "CNAME", value: names[i + 1] }]));
    dnsServer.set(names[9], [{ type: "A", value: "192.0.2.10" }]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "misconfigured", reason: "too-long" });
    expect((r.check.records as CheckRecords).chain).toEqual(names.slice(0, 8));
  });

  it("keeps a live domain live on SERVFAIL: the check says error with its code, lastSuccessAt is unchanged", async () => {
    const d = await addDomain("sf");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    const t0 = new Date("2030-01-01T00:00:00Z");
    await check(d.id, t0);
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }], "servfail");
    const t1 = new Date("2030-01-01T01:00:00Z");
    const r = await check(d.id, t1);
    expect(r).toMatchObject({ status: "live", previousStatus: "live", changed: false });
    expect(r.check).toMatchObject({ outcome: "error", status: "live", reason: "servfail", errorCode: "ESERVFAIL" });
    const row = await domainRow(d.id);
    expect(row).toMatchObject({ status: "live", flagged: false, failureStreak: 1 });
    expect(row.lastSuccessAt).toEqual(t0);
    expect(row.lastCheckedAt).toEqual(t1);
    const delay = row.nextCheckAt!.getTime() - t1.getTime();
    expect(delay).toBeGreaterThanOrEqual(54_000);
    expect(delay).toBeLessThanOrEqual(66_000);
    expect(await auditOf(d.hostname)).toHaveLength(1); // only pending → live
  });

  it("keeps a live domain live when the server stops answering (timeout)", async () => {
    const d = await addDomain("to");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    const t0 = new Date("2030-01-01T00:00:00Z");
    await check(d.id, t0);
    dnsServer.set(d.hostname, [], "timeout");
    const r = await check(d.id, new Date("2030-01-01T00:05:00Z"));
    expect(r.check).toMatchObject({ outcome: "error", status: "live", reason: "timeout", errorCode: "ETIMEOUT" });
    expect(r.check.durationMs).toBeGreaterThanOrEqual(250);
    expect((await domainRow(d.id)).lastSuccessAt).toEqual(t0);
  });

  it("makes a never-checked domain error on SERVFAIL, and a known misconfigured one stays misconfigured on REFUSED", async () => {
    const d = await addDomain("new-sf");
    dnsServer.set(d.hostname, [], "servfail");
    const r = await check(d.id);
    expect(r).toMatchObject({ status: "error", previousStatus: "pending", changed: true });
    expect((await domainRow(d.id)).lastSuccessAt).toBeNull();
    expect((await auditOf(d.hostname)).map((a) => a.data)).toEqual([{ from: "pending", to: "error", reason: "servfail" }]);

    const m = await addDomain("mis-refused");
    dnsServer.set(m.hostname, [{ type: "A", value: "203.0.113.1" }]);
    await check(m.id);
    dnsServer.set(m.hostname, [], "refused");
    const again = await check(m.id);
    expect(again.check).toMatchObject({ outcome: "error", status: "misconfigured", errorCode: "EREFUSED" });
  });

  it("records an unreachable resolver as a transient error", async () => {
    const gone = await startDnsServer();
    await gone.close();
    const d = await addDomain("unreachable");
    const r = await checkDomain(d.id, { resolver: createResolver([gone.address]) });
    expect(r).toMatchObject({ status: "error", check: { outcome: "error", reason: "unreachable", errorCode: "ECONNREFUSED" } });
  });

  it("requires the ownership TXT when the domain must prove ownership", async () => {
    const d = await addDomain("owned", { ownershipRequired: true, token: "ec-verify-abc123" });
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    const r = await check(d.id);
    expect(r.check).toMatchObject({ status: "misconfigured", reason: "ownership" });
    expect((r.check.records as CheckRecords).explanation).toContain(
      `TXT record _edge-challenge.${d.hostname} with the value ec-verify-abc123`,
    );
    dnsServer.set(`_edge-challenge.${d.hostname}`, [{ type: "TXT", value: "ec-verify-abc123" }]);
    const ok = await check(d.id);
    expect(ok.check).toMatchObject({ status: "live", reason: "cname-target" });
    expect((ok.check.records as CheckRecords).txt).toEqual(["ec-verify-abc123"]);
  });

  it("writes one audit row per status change and none for a repeat with the same status", async () => {
    const d = await addDomain("audit");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    await check(d.id);
    await check(d.id);
    const rows = await auditOf(d.hostname);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      accountId,
      actorUserId: null,
      actorName: "Edge Console",
      action: "domain.status",
      targetType: "domain",
      targetId: d.id,
      targetLabel: d.hostname,
      data: { from: "pending", to: "live", reason: "cname-target" },
    });
  });

  it("flags a live domain that stops pointing at the edge and clears the flag on its return", async () => {
    const d = await addDomain("flag");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    expect((await check(d.id)).flaggedNow).toBe(false);
    dnsServer.set(d.hostname, [{ type: "CNAME", value: "old-host.example.net" }]);
    const off = await check(d.id);
    expect(off).toMatchObject({ status: "misconfigured", flaggedNow: true });
    expect((await domainRow(d.id)).flagged).toBe(true);
    expect((await check(d.id)).flaggedNow).toBe(false); // still flagged, not flagged again
    expect(await domainRow(d.id)).toMatchObject({ flagged: true, failureStreak: 2 });
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    await check(d.id);
    expect(await domainRow(d.id)).toMatchObject({ status: "live", flagged: false, failureStreak: 0 });
    expect((await auditOf(d.hostname)).map((a) => (a.data as { to: string }).to)).toEqual(["live", "misconfigured", "live"]);
  });

  it("keeps the last 50 checks per domain", async () => {
    const d = await addDomain("prune");
    dnsServer.set(d.hostname, [{ type: "A", value: "203.0.113.1" }]);
    const ids: number[] = [];
    for (let i = 0; i < 55; i++) ids.push((await check(d.id, new Date(Date.UTC(2030, 0, 1, 0, i)))).check.id);
    const kept = await checksOf(d.id);
    expect(kept).toHaveLength(50);
    expect(kept.map((c) => c.id)).toEqual(ids.slice(5));
  });

  it("runs one of two concurrent checks of the same domain; the other is skipped", async () => {
    const d = await addDomain("race");
    dnsServer.set(d.hostname, [{ type: "CNAME", value: target(d.hostname) }]);
    const results = await Promise.all([checkDomain(d.id, { resolver }), checkDomain(d.id, { resolver })]);
    expect(results.filter((r) => r.skipped === "in-progress")).toHaveLength(1);
    expect(results.filter((r) => !r.skipped)).toHaveLength(1);
    expect(await checksOf(d.id)).toHaveLength(1);
    expect((await domainRow(d.id)).leaseUntil).toBeNull();
    expect((await checkDomain(d.id, { resolver })).skipped).toBeUndefined();
  });

  it("says not-found for a missing domain id", async () => {
    expect(await checkDomain(999_999, { resolver })).toEqual({ skipped: "not-found" });
  });

  it("checks a batch with bounded concurrency, through the settings' resolver by default", async () => {
    const ds: Awaited<ReturnType<typeof addDomain>>[] = [];
    for (let i = 0; i < 12; i++) ds.push(await addDomain(`batch${i}`));
    ds.forEach((d, i) =>
      dnsServer.set(d.hostname, i % 2 ? [{ type: "CNAME", value: target(d.hostname) }] : [{ type: "A", value: "203.0.113.4" }]),
    );
    const seen: number[] = [];
    const results = await checkDomains(
      ds.map((d) => d.id),
      { concurrency: 4, onResult: (id) => seen.push(id) },
    );
    expect(results.map((r) => (r.skipped ? r.skipped : r.status))).toEqual(ds.map((_, i) => (i % 2 ? "live" : "misconfigured")));
    expect(seen.sort()).toEqual(ds.map((d) => d.id).sort());
    expect(results.every((r) => !r.skipped && r.check.resolver === dnsServer.address)).toBe(true);
  });
});

describe("observe", () => {
  it("asks A/AAAA of the final name and TXT of the challenge name, and stops at a given name", async () => {
    dnsServer.set("obs.x.test", [{ type: "CNAME", value: "obs.y.test" }]);
    dnsServer.set("obs.y.test", [
      { type: "A", value: "192.0.2.10", ttl: 30 },
      { type: "AAAA", value: "2001:DB8:E::1" },
    ]);
    dnsServer.set("_edge-challenge.obs.x.test", [{ type: "TXT", value: "t1" }]);
    expect(await observe("OBS.X.TEST.", resolver)).toMatchObject({
      hostname: "obs.x.test",
      chain: ["obs.y.test"],
      final: "obs.y.test",
      end: "ok",
      a: ["192.0.2.10"],
      aaaa: ["2001:db8:e::1"],
      ttl: 30,
      txt: ["t1"],
    });
    expect(await observe("obs.x.test", resolver, { stopAt: ["obs.y.test"] })).toMatchObject({ end: "stopped", a: [] });
  });
});

describe("resolvesToEdge", () => {
  it("is true for a hostname already pointing at the edge and false otherwise, also on errors", async () => {
    dnsServer.set("prev.x.test", [{ type: "CNAME", value: "prev.x.test.edge.localhost" }]);
    dnsServer.set("fresh.x.test", [{ type: "A", value: "203.0.113.8" }]);
    dnsServer.set("broken.x.test", [], "servfail");
    expect(await resolvesToEdge("prev.x.test", resolver)).toBe(true);
    expect(await resolvesToEdge("fresh.x.test", resolver)).toBe(false);
    expect(await resolvesToEdge("broken.x.test", resolver)).toBe(false);
    expect(await resolvesToEdge("nothing.x.test", resolver)).toBe(false);
  });
});

describe("scheduling helpers", () => {
  it("backs off 1 min doubling to 1 h (15 min for errors) with ±10% jitter, and re-checks live every 12–24 h", () => {
    const mid = () => 0.5;
    expect(nextCheckDelayMs("misconfigured", 1, mid)).toBe(60_000);
    expect(nextCheckDelayMs("nxdomain", 3, mid)).toBe(240_000);
    expect(nextCheckDelayMs("misconfigured", 30, mid)).toBe(3600_000);
    expect(nextCheckDelayMs("error", 10, mid)).toBe(900_000);
    expect(nextCheckDelayMs("error", 1, () => 0)).toBe(54_000);
    expect(nextCheckDelayMs("error", 1, () => 1)).toBe(66_000);
    expect(nextCheckDelayMs("live", 0, () => 0)).toBe(12 * 3600_000);
    expect(nextCheckDelayMs("live", 0, () => 1)).toBe(24 * 3600_000);
  });

  it("keeps a known status on a transient error and lets Verify now run once per 10 s", () => {
    expect(statusAfter("live", "error")).toBe("live");
    expect(statusAfter("nxdomain", "error")).toBe("nxdomain");
    expect(statusAfter("pending", "error")).toBe("error");
    expect(statusAfter("live", "misconfigured")).toBe("misconfigured");
    const now = new Date("2030-01-01T00:00:10Z");
    expect(canVerifyNow({ lastCheckedAt: null }, now)).toBe(true);
    expect(canVerifyNow({ lastCheckedAt: new Date("2030-01-01T00:00:01Z") }, now)).toBe(false);
    expect(canVerifyNow({ lastCheckedAt: new Date("2030-01-01T00:00:00Z") }, now)).toBe(true);
  });
});
