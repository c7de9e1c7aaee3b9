import { rawReader } from "@/db/raw";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dialect, readerClient, writeTransaction, one } from "@/db";
import { dnsChecks, environments, type DomainStatus } from "@/db/schema";
import { listApplicationsOfAccount } from "@/lib/applications/queries";
import { listEnvironmentSummaries } from "@/lib/environments/queries";
import { fillDomains, makeAccountWithApp, makeDomain } from "@/lib/testing/ops-fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import {
  HOSTNAMES_SHOWN,
  listApplicationOverviews,
  listEnvironmentDomainPage,
  listEnvironmentOverviews,
  listLatestChecks,
  parseDomainPageParams,
  summariseCounts,
  type DomainPageQuery,
} from "./listing";
import { summariseEnvironment } from "./summary";

// The reads of the application page and the account home against a temporary SQLite file: keyset pages of an
// environment's domains, and summaries from counts that agree with the summaries made from every domain row.
let temp: { cleanup: () => void };
beforeEach(() => {
  temp = makeTempDataDir("ec-listing-");
});
afterEach(() => temp.cleanup());

const STATUSES: DomainStatus[] = ["pending", "live", "misconfigured", "nxdomain", "error"];

describe("summariseCounts", () => {
  it("gives the same status and label as summariseEnvironment on the list of statuses", () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 500; n++) {
      const statuses = Array.from({ length: Math.floor(random() * 6) }, () => STATUSES[Math.floor(random() * STATUSES.length)]);
      const counts: Partial<Record<DomainStatus, number>> = {};
      for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
      expect(summariseCounts(counts), statuses.join(",")).toEqual(summariseEnvironment(statuses));
    }
  });
});

describe("parseDomainPageParams", () => {
  it("normalises the search like /ops and keeps only well-formed cursors", () => {
    expect(parseDomainPageParams({ q: "  https://Shop.Example/path " })).toMatchObject({
      prefix: "shop.example",
      after: null,
      before: null,
    });
    expect(parseDomainPageParams({ q: "Bücher.example" }).prefix).toBe("xn--bcher-kva.example");
    expect(parseDomainPageParams({ q: "a b" })).toMatchObject({ prefix: "", error: expect.stringContaining("Search by the start") });
    expect(parseDomainPageParams({ after: "shop.example", before: "a.example" })).toMatchObject({ after: "shop.example", before: null });
    expect(parseDomainPageParams({ after: "<script>" })).toMatchObject({ after: null });
    expect(parseDomainPageParams({ before: ["b.example", "c.example"] })).toMatchObject({ before: "b.example" });
  });
});

describe("listEnvironmentDomainPage", () => {
  async function seedEnv(count: number) {
    const env = await makeAccountWithApp("Acme");
    const other = await makeAccountWithApp("Globex");
    const names = Array.from({ length: count }, (_, i) => `${i % 3 === 0 ? "shop" : "www"}${String(i).padStart(3, "0")}.acme.test`);
    for (const name of names) await makeDomain(env, name);
    await makeDomain(other, "shop999.globex.test"); // another environment's domain never shows
    return { env, names: [...names].sort() };
  }

  /** Every page forward from the start, then back from the last page, `size` rows each. */
  async function walk(query: DomainPageQuery, size: number) {
    const forward: string[] = [];
    let page = await listEnvironmentDomainPage(query, size);
    expect(page.hasPrevious).toBe(false);
    forward.push(...page.rows.map((r) => r.hostname));
    while (page.hasNext) {
      page = await listEnvironmentDomainPage({ ...query, after: forward[forward.length - 1] }, size);
      expect(page.hasPrevious).toBe(true);
      expect(page.rows.length).toBeLessThanOrEqual(size);
      forward.push(...page.rows.map((r) => r.hostname));
    }
    const backward = page.rows.map((r) => r.hostname);
    while (page.hasPrevious) {
      page = await listEnvironmentDomainPage({ ...query, after: null, before: backward[0] }, size);
      expect(page.hasNext).toBe(true);
      backward.unshift(...page.rows.map((r) => r.hostname));
    }
    return { forward, backward, matching: page.matching };
  }

  it("pages an environment's domains by hostname, forward and back, each domain once", async () => {
    const { env, names } = await seedEnv(23);
    const all = await walk({ environmentId: env.environmentId, prefix: "", after: null, before: null }, 5);
    expect(all.forward).toEqual(names);
    expect(all.backward).toEqual(names);
    expect(all.matching).toBe(23);
  });

  it("finds domains by hostname prefix, within the environment only", async () => {
    const { env, names } = await seedEnv(23);
    const shops = names.filter((n) => n.startsWith("shop"));
    const found = await walk({ environmentId: env.environmentId, prefix: "shop", after: null, before: null }, 3);
    expect(found.forward).toEqual(shops);
    expect(found.backward).toEqual(shops);
    expect(found.matching).toBe(shops.length);
    const none = await listEnvironmentDomainPage({ environmentId: env.environmentId, prefix: "zzz", after: null, before: null });
    expect(none).toEqual({ rows: [], hasPrevious: false, hasNext: false, matching: 0 });
  });

  it.skipIf(dialect() === "postgres")(
    "SQLite: reads the page through an index of the environment, never a scan of every domain",
    async () => {
      const { env } = await seedEnv(3);
      const plan = (sql: string, ...args: unknown[]) =>
        (
          readerClient()
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all(...args) as { detail: string }[]
        )
          .map((r) => r.detail)
          .join("; ");
      const detail = plan("select * from domains where environment_id = ? order by hostname limit 26", env.environmentId);
      expect(detail).toMatch(/SEARCH domains USING (COVERING )?INDEX domains_environment/);
      expect(detail).not.toMatch(/SCAN domains/);
    },
  );
});

describe("overviews from counts", () => {
  it("agree with the summaries made from every domain row (account home, environment list)", async () => {
    await fillDomains({ accounts: 3, domains: 300 });
    const [{ id: first }] = await rawReader().rows<{ id: number }>("select min(id) as id from accounts");
    const [{ id: app }] = await rawReader().rows<{ id: number }>("select id from applications where account_id = ?", [first]);
    const staging = await writeTransaction(async (tx) =>
      one(tx.insert(environments).values({ accountId: first, applicationId: app, name: "Staging" }).returning()),
    );
    await makeDomain({ accountId: first, applicationId: app, environmentId: staging.id }, "staging.a1.test", { status: "live" });
    await makeAccountWithApp("Empty");

    for (const accountId of [first, first + 1, first + 3]) {
      const expected = await listApplicationsOfAccount({ accountId });
      const got = await listApplicationOverviews({ accountId });
      expect(got.map((a) => [a.id, a.goLive, a.hostnames])).toEqual(
        expected.map((a) => [a.id, a.goLive, a.hostnames.slice(0, HOSTNAMES_SHOWN)]),
      );
    }
    const expectedEnvs = await listEnvironmentSummaries({ applicationId: app });
    const gotEnvs = await listEnvironmentOverviews({ applicationId: app });
    expect(gotEnvs.map((e) => [e.name, e.status, e.hostnames])).toEqual(
      expectedEnvs.map((e) => [e.name, e.status, e.hostnames.slice(0, HOSTNAMES_SHOWN)]),
    );
    expect(gotEnvs.find((e) => e.name === "Production")?.status.total).toBe(100);
  });
});

describe("listLatestChecks", () => {
  it("gives each domain of the page its newest check (time, then id), in one query", async () => {
    const env = await makeAccountWithApp("Acme");
    const a = await makeDomain(env, "a.acme.test");
    const b = await makeDomain(env, "b.acme.test");
    const never = await makeDomain(env, "c.acme.test");
    const check = (domainId: number, at: number, resolver: string) => ({
      domainId,
      checkedAt: new Date(at),
      outcome: "nxdomain" as const,
      status: "nxdomain" as const,
      reason: "nxdomain",
      records: {},
      resolver,
      durationMs: 1,
    });
    await writeTransaction((tx) =>
      tx
        .insert(dnsChecks)
        .values([
          check(a.id, 1000, "a-old"),
          check(a.id, 3000, "a-new"),
          check(b.id, 2000, "b-first"),
          check(b.id, 2000, "b-same-time-later"),
          check(a.id, 2000, "a-mid"),
        ]),
    );
    const latest = await listLatestChecks([a.id, b.id, never.id]);
    expect(latest.get(a.id)?.resolver).toBe("a-new");
    expect(latest.get(b.id)?.resolver).toBe("b-same-time-later");
    expect(latest.has(never.id)).toBe(false);
    expect((await listLatestChecks([b.id])).size).toBe(1);
    expect((await listLatestChecks([])).size).toBe(0);
  });
});
