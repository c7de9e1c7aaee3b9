import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, execute, pgPool, readerClient, writeTransaction } from "@/db";
import { rawReader } from "@/db/raw";
import { fillDomains } from "@/lib/testing/ops-fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import type { OpsFilter } from "./filters";
import { getStatusCounts, listOpsDomains, opsPageQuery } from "./queries";

// The one large test of the operator view: 100,000 domains over 1,000 accounts in a temporary SQLite file, filled
// by raw SQL. Pages and counts must be right, and each read must stay fast (index ranges, not scans).
const N = 100_000;
const NONE: OpsFilter = { status: null, flagged: false, accountId: null, prefix: "", after: null, before: null };
let temp: { cleanup: () => void };

beforeAll(async () => {
  temp = makeTempDataDir("ec-ops-large-");
  await fillDomains({ accounts: 1000, domains: N });
});
afterAll(() => temp.cleanup());

const hostnames = async (where: string, limit = 50) =>
  (await rawReader().rows<{ hostname: string }>(`select hostname from domains where ${where} order by hostname limit ${limit}`)).map(
    (r) => r.hostname,
  );

/** Runs `fn` and returns its result with the time it took in milliseconds. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

describe(`/ops queries with ${N.toLocaleString("en")} domains`, () => {
  it("counts per status come from the counters and equal count(*)", async () => {
    const [counts, ms] = await timed(getStatusCounts);
    expect(counts).toEqual({ pending: N / 5, live: N / 5, misconfigured: N / 5, nxdomain: N / 5, error: N / 5, flagged: N / 50, total: N });
    const scanned = await rawReader().rows<{ status: string; n: number }>("select status, count(*) as n from domains group by status");
    for (const { status, n } of scanned) expect(counts[status as keyof typeof counts]).toBe(n);
    expect(ms).toBeLessThan(500); // a loose bound (shared CI cores); the plans below are the real guarantee
  });

  it("renders the first page and the next one from the keyset cursor", async () => {
    const [first, ms] = await timed(() => listOpsDomains(NONE));
    expect(first.rows.map((r) => r.hostname)).toEqual(await hostnames("true"));
    expect(first).toMatchObject({ hasPrevious: false, hasNext: true });
    expect(first.rows[0]).toMatchObject({
      hostname: "d0000001.a2.test",
      accountName: "Account 2",
      applicationName: "App of Account 2",
      status: "live",
    });
    const last = first.rows[49].hostname;
    const second = await listOpsDomains({ ...NONE, after: last });
    expect(second.rows.map((r) => r.hostname)).toEqual(await hostnames(`hostname > '${last}'`));
    expect(second.hasPrevious).toBe(true);
    expect(ms).toBeLessThan(500);
  });

  it.each([
    ["status", { ...NONE, status: "misconfigured" as const }, "status = 'misconfigured'"],
    ["flagged", { ...NONE, flagged: true }, "flagged = 1"],
    ["account", { ...NONE, accountId: 777 }, "account_id = 777"],
    ["hostname prefix", { ...NONE, prefix: "d00420" }, "hostname like 'd00420%'"],
    ["status + prefix", { ...NONE, status: "nxdomain" as const, prefix: "d0099" }, "status = 'nxdomain' and hostname like 'd0099%'"],
  ])("filters by %s", async (_name, filter, where) => {
    const [page, ms] = await timed(() => listOpsDomains(filter));
    const want = await hostnames(where);
    expect(want.length).toBeGreaterThan(0);
    expect(page.rows.map((r) => r.hostname)).toEqual(want);
    expect(page.hasNext).toBe((await hostnames(where, 51)).length === 51);
    expect(ms).toBeLessThan(500);
  });

  it.skipIf(dialect() === "postgres")("SQLite: keeps to its indexes once it has statistics of the table (ANALYZE)", async () => {
    await writeTransaction(() => execute(sql`analyze`));
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
    expect(plan(NONE)).toMatch(/USING INDEX domains_hostname_unique/);
    expect(plan({ ...NONE, status: "misconfigured", prefix: "d00" })).toMatch(
      /USING (COVERING )?INDEX domains_status_hostname_idx \(status=\? AND hostname>\? AND hostname<\?\)/,
    );
    expect(plan({ ...NONE, flagged: true, after: "d005" })).toMatch(
      /USING (COVERING )?INDEX domains_flagged_hostname_idx \(flagged=\? AND hostname>\?\)/,
    );
    expect(plan({ ...NONE, accountId: 7 })).toMatch(/USING (COVERING )?INDEX domains_account_hostname_idx \(account_id=\?\)/);
    expect(plan({ ...NONE, prefix: "d0042" })).toMatch(/USING (COVERING )?INDEX domains_hostname_unique \(hostname>\? AND hostname<\?\)/);
    for (const f of [NONE, { ...NONE, status: "live" as const }, { ...NONE, accountId: 3 }])
      expect(plan(f)).not.toMatch(/TEMP B-TREE|SCAN domains(?! USING)/);
  });

  it.skipIf(dialect() === "sqlite")("PostgreSQL: keeps to the same indexes once it has statistics of the table (ANALYZE)", async () => {
    await pgPool().query("analyze domains");
    const plan = async (filter: OpsFilter) => {
      const { sql: text, params } = opsPageQuery(filter, 51).toSQL();
      const { rows } = await pgPool().query(`explain ${text}`, params as unknown[]);
      return rows.map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"]).join(" | ");
    };
    expect(await plan(NONE)).toMatch(/Index (Only )?Scan using domains_hostname_unique/);
    expect(await plan({ ...NONE, status: "misconfigured", prefix: "d00" })).toMatch(/Index (Only )?Scan using domains_status_hostname_idx/);
    expect(await plan({ ...NONE, flagged: true, after: "d005" })).toMatch(/Index (Only )?Scan using domains_flagged_hostname_idx/);
    // One account's domains: PostgreSQL may read them by account_id and sort those few rows; never the whole table.
    expect(await plan({ ...NONE, accountId: 7 })).toMatch(/Index (Only )?Scan using domains_account_/);
    expect(await plan({ ...NONE, accountId: 3 })).not.toMatch(/Seq Scan on domains/);
    expect(await plan({ ...NONE, prefix: "d0042" })).toMatch(/Index (Only )?Scan using domains_hostname_unique/);
    for (const f of [NONE, { ...NONE, status: "live" as const }]) expect(await plan(f)).not.toMatch(/Seq Scan on domains|Sort/);
  });
});
