import { count, eq, sql, type SQL } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, pgPool, readerClient, rowsOf, writeTransaction, first, dialect } from "@/db";
import { accounts, applications, domains, domainStatusDeltas, domainStatusSnapshots, environments, type DomainStatus } from "@/db/schema";
import { makeAccountWithApp, makeDomain } from "@/lib/testing/ops-fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { normaliseHostnamePrefix, parseOpsFilter, type OpsFilter } from "./filters";
import { DOMAIN_STATUS_COUNTS_SQL, getStatusCounts, listOpsDomains, opsPageQuery } from "./queries";
import { ensureDailySnapshot, listSnapshotPoints, takeDailySnapshot, withCurrentCounts } from "./snapshots";

// The operator view's reads against a temporary SQLite file: counters kept by triggers, keyset pages, filters, plans.
let temp: { cleanup: () => void };
beforeEach(() => {
  temp = makeTempDataDir("ec-ops-");
});
afterEach(() => temp.cleanup());

const STATUSES: DomainStatus[] = ["pending", "live", "misconfigured", "nxdomain", "error"];
const NONE: OpsFilter = { status: null, flagged: false, accountId: null, prefix: "", after: null, before: null };

const countOf = async (table: typeof domains | typeof domainStatusSnapshots | typeof domainStatusDeltas, where?: SQL) =>
  (await first(getDb().select({ n: count() }).from(table).where(where)))!.n;

/** The counters as `count(*)` over `domains` computes them. */
async function countedByScan() {
  const byStatus: Record<string, number> = {};
  for (const s of STATUSES) byStatus[s] = await countOf(domains, eq(domains.status, s));
  return { ...byStatus, flagged: await countOf(domains, eq(domains.flagged, true)), total: await countOf(domains) };
}

/** Two accounts with 3 + 2 domains of mixed statuses; returns the envs. */
async function seedSmall() {
  const a = await makeAccountWithApp("Acme");
  const b = await makeAccountWithApp("Globex");
  await makeDomain(a, "www.acme.test", { status: "live" });
  await makeDomain(a, "shop.acme.test", { status: "misconfigured", flagged: true });
  await makeDomain(a, "api.acme.test");
  await makeDomain(b, "www.globex.test", { status: "nxdomain" });
  await makeDomain(b, "xn--bcher-kva.globex.test", { status: "live", hostnameUnicode: "bücher.globex.test" });
  return { a, b };
}

/** Every page from the start (Next) and back from the end (Previous), pageSize 7. */
async function walk(filter: OpsFilter) {
  const forward: string[] = [];
  let page = await listOpsDomains(filter, 7);
  expect(page.hasPrevious).toBe(false);
  forward.push(...page.rows.map((r) => r.hostname));
  while (page.hasNext) {
    page = await listOpsDomains({ ...filter, after: forward[forward.length - 1] }, 7);
    expect(page.hasPrevious).toBe(true);
    forward.push(...page.rows.map((r) => r.hostname));
  }
  const backward: string[] = [...page.rows.map((r) => r.hostname)];
  while (page.hasPrevious) {
    page = await listOpsDomains({ ...filter, after: null, before: backward[0] }, 7);
    expect(page.hasNext).toBe(true);
    backward.unshift(...page.rows.map((r) => r.hostname));
  }
  return { forward, backward };
}

describe("status counters (domain_status_counts, kept by triggers)", () => {
  it("agree with count(*) after inserts, status and flag updates, deletes and cascade deletes", async () => {
    const { a, b } = await seedSmall();
    expect(await getStatusCounts()).toEqual(await countedByScan());
    expect(await getStatusCounts()).toMatchObject({ live: 2, misconfigured: 1, pending: 1, nxdomain: 1, flagged: 1, total: 5 });
    await writeTransaction(async (db) => {
      await db.update(domains).set({ status: "live", flagged: false }).where(eq(domains.hostname, "shop.acme.test"));
      await db.update(domains).set({ status: "error" }).where(eq(domains.hostname, "api.acme.test"));
      await db.update(domains).set({ flagged: true }).where(eq(domains.hostname, "www.globex.test"));
    });
    expect(await getStatusCounts()).toEqual(await countedByScan());
    await writeTransaction((db) => db.delete(domains).where(eq(domains.hostname, "www.acme.test")));
    expect(await getStatusCounts()).toEqual(await countedByScan());
    await writeTransaction((db) => db.delete(environments).where(eq(environments.id, a.environmentId))); // cascade: domains of that environment
    expect(await getStatusCounts()).toEqual(await countedByScan());
    await writeTransaction((db) => db.delete(applications).where(eq(applications.id, b.applicationId)));
    await makeDomain(await makeAccountWithApp("Initech"), "www.initech.test", { status: "misconfigured", flagged: true });
    expect(await getStatusCounts()).toEqual(await countedByScan());
    await writeTransaction((db) => db.delete(accounts)); // every account: cascades through applications and environments to domains
    expect(await getStatusCounts()).toEqual({ pending: 0, live: 0, misconfigured: 0, nxdomain: 0, error: 0, flagged: 0, total: 0 });
  });

  it.skipIf(dialect() === "sqlite")(
    "PostgreSQL: the unfolded deltas are read in one pass over domain_status_deltas, not once per status",
    async () => {
      await seedSmall(); // the triggers append deltas; nothing folds them here
      expect(await countOf(domainStatusDeltas)).toBeGreaterThan(0);
      const { rows } = await pgPool().query(`explain (analyze, costs off) ${DOMAIN_STATUS_COUNTS_SQL}`);
      const reads = rows
        .map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"])
        .filter((line: string) => / on domain_status_deltas/.test(line));
      expect(reads).toHaveLength(1);
      expect(reads[0]).toMatch(/loops=1\)/);
      expect(await getStatusCounts()).toEqual(await countedByScan());
    },
  );
});

describe("listOpsDomains (keyset pages ordered by hostname)", () => {
  beforeEach(async () => {
    const envs = [await makeAccountWithApp("One"), await makeAccountWithApp("Two"), await makeAccountWithApp("Three")];
    for (let i = 0; i < 61; i++) {
      const status = STATUSES[i % 5];
      await makeDomain(envs[i % 3], `h${String((i * 37) % 61).padStart(3, "0")}.${i % 2 ? "shop" : "web"}.test`, {
        status,
        flagged: status !== "live" && i % 4 === 0,
      });
    }
  });

  const expected = async (where: string) =>
    ((await rowsOf(sql.raw(`select hostname from domains where ${where} order by hostname`))) as { hostname: string }[]).map(
      (r) => r.hostname,
    );

  it.each([
    ["no filter", NONE, "true"],
    ["status", { ...NONE, status: "misconfigured" as const }, "status = 'misconfigured'"],
    ["flagged", { ...NONE, flagged: true }, "flagged = 1"],
    ["account", { ...NONE, accountId: 2 }, "account_id = 2"],
    ["prefix", { ...NONE, prefix: "h01" }, "hostname like 'h01%'"],
    ["status + prefix", { ...NONE, status: "live" as const, prefix: "h0" }, "status = 'live' and hostname like 'h0%'"],
    ["account + status", { ...NONE, accountId: 1, status: "pending" as const }, "account_id = 1 and status = 'pending'"],
  ])("%s: Next and Previous visit every row once, without gaps", async (_name, filter, where) => {
    const want = await expected(where);
    expect(want.length).toBeGreaterThan(0);
    const { forward, backward } = await walk(filter);
    expect(forward).toEqual(want);
    expect(backward).toEqual(want);
  });

  it("joins the account and application names; an empty filter result has no pages", async () => {
    const page = await listOpsDomains({ ...NONE, accountId: 3 }, 2);
    expect(page.rows[0]).toMatchObject({ accountName: "Three", applicationName: "Three app", accountId: 3 });
    expect(await listOpsDomains({ ...NONE, prefix: "zzz" })).toEqual({ rows: [], hasPrevious: false, hasNext: false });
  });
});

describe.skipIf(dialect() === "postgres")("SQLite query plans (EXPLAIN QUERY PLAN): an index range, never a table scan or a sort", () => {
  const plan = (filter: OpsFilter) => {
    const { sql: text, params } = opsPageQuery(filter, 51).toSQL();
    return (
      readerClient()
        .prepare(`explain query plan ${text}`)
        .all(...(params as unknown[])) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join(" | ");
  };
  it.each([
    ["first page", NONE, /SCAN domains USING INDEX domains_hostname_unique/],
    ["next page", { ...NONE, after: "m.test" }, /SEARCH domains USING INDEX domains_hostname_unique \(hostname>\?\)/],
    ["previous page", { ...NONE, before: "m.test" }, /SEARCH domains USING INDEX domains_hostname_unique \(hostname<\?\)/],
    [
      "status",
      { ...NONE, status: "live" as const, after: "m.test" },
      /SEARCH domains USING INDEX domains_status_hostname_idx \(status=\? AND hostname>\?\)/,
    ],
    ["flagged", { ...NONE, flagged: true }, /SEARCH domains USING INDEX domains_flagged_hostname_idx \(flagged=\?\)/],
    [
      "account",
      { ...NONE, accountId: 7, before: "m.test" },
      /SEARCH domains USING INDEX domains_account_hostname_idx \(account_id=\? AND hostname<\?\)/,
    ],
    ["prefix", { ...NONE, prefix: "shop" }, /SEARCH domains USING INDEX domains_hostname_unique \(hostname>\? AND hostname<\?\)/],
    [
      "status + prefix",
      { ...NONE, status: "error" as const, prefix: "shop" },
      /SEARCH domains USING INDEX domains_status_hostname_idx \(status=\? AND hostname>\? AND hostname<\?\)/,
    ],
  ])("%s", (_name, filter, index) => {
    const detail = plan(filter);
    expect(detail).toMatch(index);
    expect(detail).not.toMatch(/TEMP B-TREE/);
    expect(detail).not.toMatch(/SCAN domains(?! USING)/);
  });
});

describe("parseOpsFilter and normaliseHostnamePrefix", () => {
  it("normalises a search like a hostname (lower case, URL, trailing dot, Unicode labels) and refuses other characters", () => {
    expect(normaliseHostnamePrefix("  Shop.Example. ")).toEqual({ prefix: "shop.example" });
    expect(normaliseHostnamePrefix("https://WWW.Example.com/path")).toEqual({ prefix: "www.example.com" });
    expect(normaliseHostnamePrefix("Bücher.globex")).toEqual({ prefix: "xn--bcher-kva.globex" });
    expect(normaliseHostnamePrefix("*.acme")).toEqual({ prefix: "acme" });
    expect(normaliseHostnamePrefix("acme'; drop")).toHaveProperty("error");
  });
  it("reads status, flagged, account and cursors; bad values get a message and are not applied", () => {
    expect(parseOpsFilter({ status: "live", account: "12", q: "Shop", after: "shop.test" }).filter).toEqual({
      status: "live",
      flagged: false,
      accountId: 12,
      prefix: "shop",
      after: "shop.test",
      before: null,
    });
    expect(parseOpsFilter({ status: "flagged" }).filter).toMatchObject({ status: null, flagged: true });
    const bad = parseOpsFilter({ status: "nonsense", account: "abc", q: "<script>", before: "../../x" });
    expect(bad.filter).toEqual(NONE);
    expect(bad.errors).toEqual({ account: expect.stringContaining("account id"), q: expect.stringContaining("letters, digits") });
  });
});

describe("daily snapshots", () => {
  it("upserts today's counts (one row per status), keeps other days, and feeds the chart", async () => {
    await seedSmall();
    const day1 = new Date("2030-03-01T10:00:00Z");
    expect(await ensureDailySnapshot(day1)).toBe(true);
    expect(await ensureDailySnapshot(day1)).toBe(false);
    await writeTransaction((db) => db.update(domains).set({ status: "live", flagged: false }));
    await takeDailySnapshot(new Date("2030-03-01T23:00:00Z"));
    await takeDailySnapshot(new Date("2030-03-02T01:00:00Z"));
    await writeTransaction((db) => db.delete(domains).where(eq(domains.hostname, "www.acme.test")));
    expect(await ensureDailySnapshot(new Date("2030-03-02T05:00:00Z"))).toBe(false);
    await takeDailySnapshot(new Date("2030-03-03T01:00:00Z"));
    expect(await countOf(domainStatusSnapshots)).toBe(18);
    expect(await listSnapshotPoints({ now: new Date("2030-03-03T12:00:00Z"), days: 30 })).toEqual([
      { day: "2030-03-01", live: 5, notLive: 0, flagged: 0 },
      { day: "2030-03-02", live: 5, notLive: 0, flagged: 0 },
      { day: "2030-03-03", live: 4, notLive: 0, flagged: 0 },
    ]);
    expect((await listSnapshotPoints({ now: new Date("2030-03-03T12:00:00Z"), days: 2 })).map((p) => p.day)).toEqual([
      "2030-03-02",
      "2030-03-03",
    ]);
  });
  it("stores the counts of the moment: live vs not live before the change", async () => {
    await seedSmall();
    await takeDailySnapshot(new Date("2030-04-01T00:00:00Z"));
    const points = await listSnapshotPoints({ now: new Date("2030-04-01T01:00:00Z") });
    expect(points).toEqual([{ day: "2030-04-01", live: 2, notLive: 3, flagged: 1 }]);
    // The page draws today from the live counters: a change since the snapshot shows at once.
    await writeTransaction((db) =>
      db.update(domains).set({ status: "live", flagged: false }).where(eq(domains.hostname, "shop.acme.test")),
    );
    expect(withCurrentCounts(points, await getStatusCounts(), new Date("2030-04-01T02:00:00Z"))).toEqual([
      { day: "2030-04-01", live: 3, notLive: 2, flagged: 0 },
    ]);
    expect(withCurrentCounts(points, await getStatusCounts(), new Date("2030-04-02T00:00:00Z")).map((p) => p.day)).toEqual([
      "2030-04-01",
      "2030-04-02",
    ]);
  });
});
