import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db";
import { accounts, applications, dnsChecks, domains, environments, memberships, users } from "@/db/schema";
import { resetSettings } from "@/lib/config";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createResolver, type Resolver } from "./resolver";
import { listDueDomainIds, sweepDueDomains } from "./scheduler";

// Background sweeps end to end: node's resolver to a DNS server on 127.0.0.1, a temporary SQLite file, real SMTP.
const ENV = { EDGE_CNAME_SUFFIX: "edge.localhost", EDGE_IPV4: "192.0.2.10", DNS_TIMEOUT_MS: "300", DNS_TRIES: "1", APP_URL: "https://console.example.net" };
const MINUTE = 60_000;
const saved: Record<string, string | undefined> = {};
let dnsServer: TestDnsServer;
let smtp: TestSmtpServer;
let resolver: Resolver;
let temp: { cleanup: () => void };
let env: { accountId: number; applicationId: number; environmentId: number };
let counter = 0;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  smtp = await startSmtpServer();
  for (const [k, v] of Object.entries({ ...ENV, DNS_SERVERS: dnsServer.address, SMTP_URL: smtp.smtpUrl })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  resolver = createResolver([dnsServer.address]);
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetSettings();
  await dnsServer.close();
  await smtp.close();
});
beforeEach(() => {
  temp = makeTempDataDir("ec-sched-");
  dnsServer.reset();
  smtp.clear();
  const db = getDb();
  const accountId = db.insert(accounts).values({ name: "Acme" }).returning().get().id;
  for (const role of ["owner", "admin", "developer"] as const) {
    const user = db.insert(users).values({ email: `${role}@acme.test`, name: role, passwordHash: "x" }).returning().get();
    db.insert(memberships).values({ userId: user.id, accountId, role }).run();
  }
  const applicationId = db
    .insert(applications)
    .values({ accountId, name: "Acme shop", repoName: "shop", repoDir: "app-1", stackId: "varnish" })
    .returning()
    .get().id;
  const environmentId = db.insert(environments).values({ accountId, applicationId, name: "Production" }).returning().get().id;
  env = { accountId, applicationId, environmentId };
});
afterEach(() => temp.cleanup());

function addDomain(label: string, set: Partial<typeof domains.$inferInsert> = {}) {
  const hostname = `${label}.s${++counter}.test`;
  return getDb()
    .insert(domains)
    .values({ ...env, hostname, hostnameUnicode: hostname, isApex: false, verificationToken: "t", ...set })
    .returning()
    .get();
}
const row = (id: number) => getDb().select().from(domains).where(eq(domains.id, id)).get()!;
const checks = (id?: number) => getDb().select().from(dnsChecks).where(id === undefined ? undefined : eq(dnsChecks.domainId, id)).all();
const pointAtEdge = (hostname: string) => dnsServer.set(hostname, [{ type: "CNAME", value: `${hostname}.edge.localhost` }]);

describe("sweepDueDomains", () => {
  it("picks only due domains (never checked, or nextCheckAt passed) whose lease is free", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const never = addDomain("never");
    const overdue = addDomain("overdue", { nextCheckAt: new Date(now.getTime() - MINUTE) });
    const later = addDomain("later", { nextCheckAt: new Date(now.getTime() + MINUTE) });
    const leased = addDomain("leased", { nextCheckAt: new Date(now.getTime() - MINUTE), leaseUntil: new Date(now.getTime() + MINUTE) });
    expect(listDueDomainIds({ now, limit: 10 }).sort()).toEqual([never.id, overdue.id].sort());
    const r = await sweepDueDomains({ now, resolver });
    expect(r).toMatchObject({ due: 2, checked: 2, skipped: 0, failed: 0 });
    expect(checks(never.id)).toHaveLength(1);
    expect(checks(overdue.id)).toHaveLength(1);
    expect(checks(later.id)).toHaveLength(0);
    expect(checks(leased.id)).toHaveLength(0);
    // Checked: not due again until their backoff runs out.
    expect(listDueDomainIds({ now, limit: 10 })).toEqual([]);
  });

  it("grows the backoff while a domain stays unresolved and resets it when the status changes", async () => {
    const d = addDomain("backoff");
    let now = new Date("2030-01-01T00:00:00Z");
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sweepDueDomains({ now, resolver });
      const next = row(d.id).nextCheckAt!;
      delays.push(next.getTime() - now.getTime());
      now = next;
    }
    expect(row(d.id)).toMatchObject({ status: "nxdomain", failureStreak: 3 });
    // 1, 2, 4 minutes, each ±10 % jitter.
    [1, 2, 4].forEach((m, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(0.9 * m * MINUTE);
      expect(delays[i]).toBeLessThanOrEqual(1.1 * m * MINUTE);
    });
    pointAtEdge(d.hostname);
    await sweepDueDomains({ now, resolver });
    expect(row(d.id)).toMatchObject({ status: "live", failureStreak: 0 });
    expect(row(d.id).nextCheckAt!.getTime() - now.getTime()).toBeGreaterThanOrEqual(12 * 60 * MINUTE);
  });

  it("never checks one domain twice when two sweeps start together on the same database", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ids = Array.from({ length: 12 }, (_, i) => addDomain(`race${i}`).id);
    const [a, b] = await Promise.all([sweepDueDomains({ now, resolver, concurrency: 4 }), sweepDueDomains({ now, resolver, concurrency: 4 })]);
    expect(a.checked + b.checked).toBe(12);
    // They overlapped: one sweep met domains the other held or had just checked, and skipped them.
    expect(a.skipped + b.skipped).toBeGreaterThan(0);
    expect(checks()).toHaveLength(12);
    for (const id of ids) expect(checks(id)).toHaveLength(1);
  });

  it("keeps a live domain live across sweeps while its DNS server times out", async () => {
    const d = addDomain("steady");
    pointAtEdge(d.hostname);
    let now = new Date("2030-01-01T00:00:00Z");
    await sweepDueDomains({ now, resolver });
    expect(row(d.id).status).toBe("live");
    dnsServer.set(d.hostname, [], "timeout");
    for (let i = 0; i < 3; i++) {
      now = row(d.id).nextCheckAt!;
      const r = await sweepDueDomains({ now, resolver });
      expect(r).toMatchObject({ checked: 1, flagged: [] });
      expect(row(d.id)).toMatchObject({ status: "live", flagged: false });
    }
    expect(checks(d.id).map((c) => c.outcome)).toEqual(["live", "error", "error", "error"]);
    expect(smtp.mails()).toEqual([]);
  });

  it("flags a live domain pointed elsewhere on the next sweep and mails the owners and admins", async () => {
    const d = addDomain("moved");
    pointAtEdge(d.hostname);
    let now = new Date("2030-01-01T00:00:00Z");
    await sweepDueDomains({ now, resolver });
    dnsServer.set(d.hostname, [{ type: "CNAME", value: "other-cdn.example.net" }]);
    dnsServer.set("other-cdn.example.net", [{ type: "A", value: "203.0.113.9" }]);
    now = row(d.id).nextCheckAt!;
    const r = await sweepDueDomains({ now, resolver });
    expect(r).toMatchObject({ checked: 1, flagged: [d.id], mailed: 2 });
    expect(row(d.id)).toMatchObject({ status: "misconfigured", flagged: true });
    expect(smtp.mails().flatMap((m) => m.to).sort()).toEqual(["admin@acme.test", "owner@acme.test"]);
    const [mail] = smtp.mails("owner@acme.test");
    expect(mail.subject).toBe(`${d.hostname} stopped pointing at the edge`);
    expect(mail.text).toContain(`${d.hostname} → other-cdn.example.net`);
    expect(mail.text).toContain("203.0.113.9");
    expect(mail.text).toContain(`CNAME ${d.hostname}.edge.localhost`);
    expect(mail.text).toContain(`https://console.example.net/account/${env.accountId}/application/${env.applicationId}`);

    // Still misconfigured on the next sweep: no second mail.
    now = row(d.id).nextCheckAt!;
    expect(await sweepDueDomains({ now, resolver })).toMatchObject({ checked: 1, flagged: [] });
    expect(smtp.mails()).toHaveLength(2);
  });
});
