import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dialect, getDb, pgPool, writeTransaction, first, one } from "@/db";
import { accounts, applications, auditEvents, dnsChecks, domains, environments, memberships, users } from "@/db/schema";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { setTestEnv } from "@/lib/testing/env";
import { checkDomain, claimDomains, observeClaim, storeChecks, type DomainClaim } from "./go-live";
import { createResolver, type Resolver } from "./resolver";
import { listDueDomainIds, sweepDueDomains } from "./scheduler";

// Background sweeps end to end: node's resolver to a DNS server on 127.0.0.1, a temporary SQLite file, real SMTP.
const ENV = {
  EDGE_CNAME_SUFFIX: "edge.localhost",
  EDGE_IPV4: "192.0.2.10",
  DNS_TIMEOUT_MS: "300",
  DNS_TRIES: "1",
  APP_URL: "https://console.example.net",
};
const MINUTE = 60_000;
let restoreEnv: () => void;
let dnsServer: TestDnsServer;
let smtp: TestSmtpServer;
let resolver: Resolver;
let temp: { dir: string; cleanup: () => void };
let env: { accountId: number; applicationId: number; environmentId: number };
let counter = 0;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  smtp = await startSmtpServer();
  restoreEnv = setTestEnv({ ...ENV, DNS_SERVERS: dnsServer.address, SMTP_URL: smtp.smtpUrl });
  resolver = createResolver([dnsServer.address]);
});
afterAll(async () => {
  restoreEnv();
  await dnsServer.close();
  await smtp.close();
});
beforeEach(async () => {
  temp = makeTempDataDir("ec-sched-");
  dnsServer.reset();
  smtp.clear();
  env = await writeTransaction(async (db) => {
    const accountId = (await one(db.insert(accounts).values({ name: "Acme" }).returning())).id;
    for (const role of ["owner", "admin", "developer", "viewer"] as const) {
      const user = await one(
        db
          .insert(users)
          .values({ email: `${role}@acme.test`, name: role, passwordHash: "x" })
          .returning(),
      );
      await db.insert(memberships).values({ userId: user.id, accountId, role });
    }
    const applicationId = (
      await one(
        db
          .insert(applications)
          .values({ accountId, name: "Acme shop", repoName: "shop", repoDir: "app-1", stackId: "varnish" })
          .returning(),
      )
    ).id;
    const environmentId = (await one(db.insert(environments).values({ accountId, applicationId, name: "Production" }).returning())).id;
    return { accountId, applicationId, environmentId };
  });
});
afterEach(() => temp.cleanup());

function addDomain(label: string, set: Partial<typeof domains.$inferInsert> = {}) {
  const hostname = `${label}.s${++counter}.test`;
  return writeTransaction((tx) =>
    one(
      tx
        .insert(domains)
        .values({ ...env, hostname, hostnameUnicode: hostname, isApex: false, verificationToken: "t", ...set })
        .returning(),
    ),
  );
}
const row = async (id: number) => (await first(getDb().select().from(domains).where(eq(domains.id, id))))!;
const checks = (id?: number) =>
  getDb()
    .select()
    .from(dnsChecks)
    .where(id === undefined ? undefined : eq(dnsChecks.domainId, id));
const pointAtEdge = (hostname: string) => dnsServer.set(hostname, [{ type: "CNAME", value: `${hostname}.edge.localhost` }]);

describe("sweepDueDomains", () => {
  it("picks only due domains (never checked, or nextCheckAt passed) whose lease is free", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const never = await addDomain("never");
    const overdue = await addDomain("overdue", { nextCheckAt: new Date(now.getTime() - MINUTE) });
    const later = await addDomain("later", { nextCheckAt: new Date(now.getTime() + MINUTE) });
    const leased = await addDomain("leased", {
      nextCheckAt: new Date(now.getTime() - MINUTE),
      leaseUntil: new Date(now.getTime() + MINUTE),
    });
    expect((await listDueDomainIds({ now, limit: 10 })).sort()).toEqual([never.id, overdue.id].sort());
    const r = await sweepDueDomains({ now, resolver });
    expect(r).toMatchObject({ due: 2, checked: 2, skipped: 0, failed: 0 });
    expect(await checks(never.id)).toHaveLength(1);
    expect(await checks(overdue.id)).toHaveLength(1);
    expect(await checks(later.id)).toHaveLength(0);
    expect(await checks(leased.id)).toHaveLength(0);
    // Checked: not due again until their backoff runs out.
    expect(await listDueDomainIds({ now, limit: 10 })).toEqual([]);
  });

  it("grows the backoff while a domain stays unresolved and resets it when the status changes", async () => {
    const d = await addDomain("backoff");
    let now = new Date("2030-01-01T00:00:00Z");
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sweepDueDomains({ now, resolver });
      const next = (await row(d.id)).nextCheckAt!;
      delays.push(next.getTime() - now.getTime());
      now = next;
    }
    expect(await row(d.id)).toMatchObject({ status: "nxdomain", failureStreak: 3 });
    // 1, 2, 4 minutes, each ±10 % jitter.
    [1, 2, 4].forEach((m, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(0.9 * m * MINUTE);
      expect(delays[i]).toBeLessThanOrEqual(1.1 * m * MINUTE);
    });
    pointAtEdge(d.hostname);
    await sweepDueDomains({ now, resolver });
    expect(await row(d.id)).toMatchObject({ status: "live", failureStreak: 0 });
    expect((await row(d.id)).nextCheckAt!.getTime() - now.getTime()).toBeGreaterThanOrEqual(12 * 60 * MINUTE);
  });

  it("never checks one domain twice when two sweeps start together on the same database", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await addDomain(`race${i}`)).id);
    // Small batches, so each sweep claims a few domains at a time and the two interleave.
    const sweep = () => sweepDueDomains({ now, resolver, concurrency: 2, batchSize: 2 });
    const [a, b] = await Promise.all([sweep(), sweep()]);
    for (const w of [a, b]) expect(w.checked + w.skipped + w.failed).toBe(w.due);
    expect(a.checked + b.checked).toBe(12);
    // They overlapped: one sweep met domains the other held or had just checked, and skipped them.
    expect(a.skipped + b.skipped).toBeGreaterThan(0);
    expect(await checks()).toHaveLength(12);
    for (const id of ids) expect(await checks(id)).toHaveLength(1);
  });

  it("never checks one domain twice when two worker processes sweep the same database at once (count the checks)", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) ids.push((await addDomain(`proc${i}`)).id);
    for (const id of ids.filter((_, i) => i % 2 === 0)) pointAtEdge((await row(id)).hostname);
    const goFile = path.join(temp.dir, "go");
    const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATA_DIR: temp.dir,
      DATABASE_URL: process.env.DATABASE_URL,
      DNS_SERVERS: dnsServer.address,
      ...ENV,
    } as NodeJS.ProcessEnv;
    const job = JSON.stringify({ goFile, nowMs: now.getTime(), concurrency: 4, batchSize: 5 });
    const workers = [0, 1].map(() => {
      const child = spawn(tsx, ["lib/testing/sweep-worker.ts", job], { env, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      const ready = new Promise<void>((resolve) => child.stdout.on("data", () => out.startsWith("ready") && resolve()));
      const done = new Promise<{ due: number; checked: number; skipped: number; failed: number }>((resolve, reject) =>
        child.on("exit", (code) =>
          code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`worker exited ${code}: ${out}`)),
        ),
      );
      return { ready, done };
    });
    await Promise.all(workers.map((w) => w.ready));
    fs.writeFileSync(goFile, "");
    const [a, b] = await Promise.all(workers.map((w) => w.done));
    // Every domain each worker listed is accounted for: checked by it, or skipped (the other held or had checked it).
    for (const w of [a, b]) expect(w.checked + w.skipped + w.failed).toBe(200);
    expect(a.failed + b.failed).toBe(0);
    expect(a.checked + b.checked).toBe(200);
    // Both did part of the work, so they really ran side by side.
    expect(a.checked).toBeGreaterThan(0);
    expect(b.checked).toBeGreaterThan(0);
    expect(await checks()).toHaveLength(200);
    const perDomain = new Map<number, number>();
    for (const c of await checks()) perDomain.set(c.domainId, (perDomain.get(c.domainId) ?? 0) + 1);
    expect([...perDomain.values()].every((n) => n === 1)).toBe(true);
    const statuses = await Promise.all(ids.map(async (id) => (await row(id)).status));
    expect(statuses.filter((status) => status === "live")).toHaveLength(100);
  }, 60_000);

  it("writes in batches exactly what single checks write: checks, statuses, flags, backoff streaks and audit rows", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    // Every kind of answer, from different starting states (never checked, live, misconfigured and flagged).
    const edgeA = (h: string) => dnsServer.set(h, [{ type: "A", value: "192.0.2.10" }]);
    const elsewhere = (h: string) => dnsServer.set(h, [{ type: "CNAME", value: "elsewhere.example.net" }]);
    const servfail = (h: string) => dnsServer.set(h, [], "servfail");
    const dangling = (h: string) => dnsServer.set(h, [{ type: "CNAME", value: "gone.example.net" }]);
    const cases: { label: string; dns: (hostname: string) => void; set?: Partial<typeof domains.$inferInsert> }[] = [
      { label: "cname", dns: pointAtEdge },
      { label: "apex", dns: edgeA, set: { isApex: true } },
      { label: "foreign", dns: elsewhere, set: { status: "live" } },
      { label: "nx-was-live", dns: () => {}, set: { status: "live" } },
      { label: "nx", dns: () => {} },
      { label: "servfail-live", dns: servfail, set: { status: "live" } },
      { label: "servfail-new", dns: servfail },
      { label: "dangling", dns: dangling, set: { status: "misconfigured", failureStreak: 3, flagged: true } },
      { label: "ownership", dns: pointAtEdge, set: { ownershipRequired: true } },
      { label: "back-live", dns: pointAtEdge, set: { status: "misconfigured", flagged: true, failureStreak: 5 } },
    ];
    dnsServer.set("elsewhere.example.net", [{ type: "A", value: "203.0.113.9" }]);
    const ids: number[] = [];
    for (const { label, dns, set } of cases) {
      const d = await addDomain(label, set);
      dns(d.hostname);
      ids.push(d.id);
    }
    const initial = await Promise.all(ids.map((id) => row(id)));
    const snapshot = () => {
      const db = getDb();
      return Promise.all(
        ids.map(async (id) => {
          const { nextCheckAt, ...rest } = await row(id);
          const history = await db.select().from(dnsChecks).where(eq(dnsChecks.domainId, id)).orderBy(asc(dnsChecks.id));
          const audit = await db.select().from(auditEvents).where(eq(auditEvents.targetId, id)).orderBy(asc(auditEvents.id));
          return {
            domain: { ...rest, due: nextCheckAt!.getTime() > now.getTime() },
            checks: history.map((c) => ({ ...c, id: 0, durationMs: 0 })),
            audit: audit.map((e) => ({ ...e, id: 0 })),
          };
        }),
      );
    };
    for (const id of ids) await checkDomain(id, { resolver, now });
    const single = await snapshot();
    // Back to the starting state, then one batched sweep.
    await writeTransaction(async (db) => {
      await db.delete(dnsChecks);
      await db.delete(auditEvents);
      for (const d of initial) await db.update(domains).set(d).where(eq(domains.id, d.id));
    });
    const swept = await sweepDueDomains({ now, resolver, batchSize: 4, concurrency: 3 });
    expect(swept).toMatchObject({ due: ids.length, checked: ids.length, failed: 0 });
    expect(await snapshot()).toEqual(single);
    // And the cases came out as intended.
    expect(single.map((s) => `${s.domain.status}${s.domain.flagged ? "!" : ""}`)).toEqual([
      "live",
      "live",
      "misconfigured!",
      "nxdomain!",
      "nxdomain",
      "live",
      "error",
      "misconfigured!",
      "misconfigured",
      "live",
    ]);
  });

  it.each([true, false])(
    "stores a batch (set-based: %s): keeps each domain's last 50 checks, answers not-found for a domain deleted after its claim, and stores a domain claimed twice in order",
    async (setBased) => {
      const now = new Date("2030-01-01T00:00:00Z");
      const a = await addDomain("prune-a");
      const b = await addDomain("prune-b");
      const gone = await addDomain("gone");
      for (const d of [a, b, gone]) pointAtEdge(d.hostname);
      // a has 55 checks already, b has 10: after one batch a keeps its newest 49 and the new one, b all 11.
      await writeTransaction(async (db) => {
        for (const [d, n] of [
          [a, 55],
          [b, 10],
        ] as const)
          for (let i = 0; i < n; i++)
            await db.insert(dnsChecks).values({
              domainId: d.id,
              checkedAt: new Date(now.getTime() - (n - i) * MINUTE),
              outcome: "nxdomain",
              status: "nxdomain",
              reason: "nxdomain",
              records: { chain: [], a: [], aaaa: [] },
              resolver: "test",
              durationMs: 1,
            });
      });
      const before = (await checks(a.id)).map((c) => c.id).sort((x, y) => x - y);
      const leaseUntil = new Date(now.getTime() + MINUTE);
      const claims = await writeTransaction(() => claimDomains([a.id, b.id, gone.id], { now, leaseUntil }));
      const observed = await Promise.all(claims.map((c) => observeClaim(c as DomainClaim, resolver)));
      await writeTransaction((db) => db.delete(domains).where(eq(domains.id, gone.id)));
      const results = await writeTransaction(() =>
        storeChecks(
          claims.map((c, i) => ({ claim: c as DomainClaim, observed: observed[i] })),
          now,
          { setBased },
        ),
      );
      expect(results.map((r) => (r.skipped ? r.skipped : `${r.previousStatus}→${r.status}`))).toEqual([
        "pending→live",
        "pending→live",
        "not-found",
      ]);
      const keptA = (await checks(a.id)).map((c) => c.id).sort((x, y) => x - y);
      expect(keptA).toHaveLength(50);
      expect(keptA.slice(0, 49)).toEqual(before.slice(6));
      expect(keptA[49]).toBe((results[0] as { check: { id: number } }).check.id);
      expect(await checks(b.id)).toHaveLength(11);
      expect(await row(a.id)).toMatchObject({ status: "live", leaseUntil: null, failureStreak: 0, lastCheckedAt: now, lastSuccessAt: now });
      const audit = await getDb().select().from(auditEvents).where(eq(auditEvents.action, "domain.status")).orderBy(asc(auditEvents.id));
      expect(audit.map((e) => [e.targetId, e.data])).toEqual([
        [a.id, { from: "pending", to: "live", reason: "cname-target" }],
        [b.id, { from: "pending", to: "live", reason: "cname-target" }],
      ]);
      // The same domain twice in one batch (a retried store): the second sees the first, as two single stores would.
      const again = (await writeTransaction(() => claimDomains([b.id], { now, leaseUntil })))[0] as DomainClaim;
      const seen = await observeClaim(again, resolver);
      const twice = await writeTransaction(() =>
        storeChecks(
          [
            { claim: again, observed: seen },
            { claim: again, observed: seen },
          ],
          now,
          { setBased },
        ),
      );
      expect(twice.map((r) => (r.skipped ? r.skipped : `${r.previousStatus}→${r.status}`))).toEqual(["live→live", "live→live"]);
      expect(await checks(b.id)).toHaveLength(13);
    },
  );

  // PostgreSQL: a store runs READ COMMITTED, so a deletion can commit while it runs (on SQLite the writer orders them).
  it.runIf(dialect() === "postgres").each([true, false])(
    "stores a batch (set-based: %s) while a domain of it is being deleted: that one is not-found, the others are stored",
    async (setBased) => {
      const now = new Date("2030-01-01T00:00:00Z");
      const kept = await addDomain(`kept-${setBased}`);
      const going = await addDomain(`going-${setBased}`);
      for (const d of [kept, going]) pointAtEdge(d.hostname);
      const claims = await writeTransaction(() => claimDomains([kept.id, going.id], { now, leaseUntil: new Date(now.getTime() + MINUTE) }));
      const observed = await Promise.all(claims.map((c) => observeClaim(c as DomainClaim, resolver)));
      // The deletion holds the row, uncommitted; the store starts, and the deletion commits once the store waits.
      const client = await pgPool().connect();
      try {
        await client.query("begin");
        await client.query("delete from domains where id = $1", [going.id]);
        const storing = writeTransaction(
          () =>
            storeChecks(
              claims.map((c, i) => ({ claim: c as DomainClaim, observed: observed[i] })),
              now,
              { setBased },
            ),
          { isolation: "read committed" },
        ).then(
          (results) => ({ results }),
          (error: unknown) => ({ error }),
        );
        for (let i = 0; i < 500; i++) {
          if ((await client.query("select 1 from pg_locks where not granted and pid <> pg_backend_pid()")).rowCount) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await client.query("commit");
        const outcome = await storing;
        if (!("results" in outcome)) throw outcome.error;
        expect(outcome.results.map((r) => (r.skipped ? r.skipped : `${r.previousStatus}→${r.status}`))).toEqual([
          "pending→live",
          "not-found",
        ]);
      } finally {
        client.release();
      }
      expect(await row(kept.id)).toMatchObject({ status: "live", leaseUntil: null });
    },
  );

  it("keeps a live domain live across sweeps while its DNS server times out", async () => {
    const d = await addDomain("steady");
    pointAtEdge(d.hostname);
    let now = new Date("2030-01-01T00:00:00Z");
    await sweepDueDomains({ now, resolver });
    expect((await row(d.id)).status).toBe("live");
    dnsServer.set(d.hostname, [], "timeout");
    for (let i = 0; i < 3; i++) {
      now = (await row(d.id)).nextCheckAt!;
      const r = await sweepDueDomains({ now, resolver });
      expect(r).toMatchObject({ checked: 1, flagged: [] });
      expect(await row(d.id)).toMatchObject({ status: "live", flagged: false });
    }
    expect((await checks(d.id)).map((c) => c.outcome)).toEqual(["live", "error", "error", "error"]);
    expect(smtp.mails()).toEqual([]);
  });

  it("flags a live domain pointed elsewhere on the next sweep and mails the owners and admins", async () => {
    const d = await addDomain("moved");
    pointAtEdge(d.hostname);
    let now = new Date("2030-01-01T00:00:00Z");
    await sweepDueDomains({ now, resolver });
    dnsServer.set(d.hostname, [{ type: "CNAME", value: "other-cdn.example.net" }]);
    dnsServer.set("other-cdn.example.net", [{ type: "A", value: "203.0.113.9" }]);
    now = (await row(d.id)).nextCheckAt!;
    const r = await sweepDueDomains({ now, resolver });
    expect(r).toMatchObject({ checked: 1, flagged: [d.id], mailed: 2 });
    expect(await row(d.id)).toMatchObject({ status: "misconfigured", flagged: true });
    expect(
      smtp
        .mails()
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual(["admin@acme.test", "owner@acme.test"]);
    expect(smtp.mails("developer@acme.test")).toEqual([]);
    expect(smtp.mails("viewer@acme.test")).toEqual([]);
    const [mail] = smtp.mails("owner@acme.test");
    expect(mail.subject).toBe(`${d.hostname} stopped pointing at the edge`);
    expect(mail.text).toContain(`${d.hostname} → other-cdn.example.net`);
    expect(mail.text).toContain("203.0.113.9");
    expect(mail.text).toContain(`CNAME ${d.hostname}.edge.localhost`);
    expect(mail.text).toContain(`https://console.example.net/account/${env.accountId}/application/${env.applicationId}`);

    // Still misconfigured on the next sweep: no second mail.
    now = (await row(d.id)).nextCheckAt!;
    expect(await sweepDueDomains({ now, resolver })).toMatchObject({ checked: 1, flagged: [] });
    expect(smtp.mails()).toHaveLength(2);
  });

  it("mails the owners and admins when Verify now (checkDomain) is what finds a live domain pointed elsewhere", async () => {
    const d = await addDomain("verified");
    pointAtEdge(d.hostname);
    expect(await checkDomain(d.id, { resolver })).toMatchObject({ status: "live" });
    dnsServer.set(d.hostname, [{ type: "A", value: "203.0.113.50" }]);
    expect(await checkDomain(d.id, { resolver, now: new Date(Date.now() + 60_000) })).toMatchObject({
      status: "misconfigured",
      flaggedNow: true,
    });
    expect(
      smtp
        .mails()
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual(["admin@acme.test", "owner@acme.test"]);
    expect(smtp.mails("owner@acme.test")[0].text).toContain("203.0.113.50");
    // The sweep that follows finds it flagged already: no second mail.
    const r = await sweepDueDomains({ now: new Date((await row(d.id)).nextCheckAt!.getTime() + 1), resolver });
    expect(r).toMatchObject({ checked: 1, flagged: [], mailed: 0 });
    expect(smtp.mails()).toHaveLength(2);
  });
});
