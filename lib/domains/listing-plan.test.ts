import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type Database from "better-sqlite3";
import { dialect, readerClient, withWriterClient } from "@/db";
import { fillDomains, makeAccountWithApp, makeDomain } from "@/lib/testing/ops-fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { listEnvironmentDomainPage, type DomainPageQuery } from "./listing";

// The environment's domain list (lib/domains/listing.ts, the application page) reads its page, its "more either
// side" probes and its count through the index domains(environment_id, hostname) of db/migrations/0005_edge.sql,
// and never sorts in a temporary B-tree. The statements checked are the ones the listing really runs: every SQL
// text it prepares on the reader connection is recorded with its parameters, then explained with
// EXPLAIN QUERY PLAN on the same connection (https://sqlite.org/eqp.html).

const INDEX = "domains_environment_hostname_idx";
type Recorded = { sql: string; params: unknown[] };

/** Runs `fn` while recording the statements prepared on `client` and the parameters they ran with. */
async function recordStatements(client: Database.Database, fn: () => Promise<unknown>): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const prepare = client.prepare.bind(client);
  const spy = vi.spyOn(client, "prepare").mockImplementation(((sql: string) => {
    const statement = prepare(sql);
    const proxy: Database.Statement = new Proxy(statement, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        if (prop === "all" || prop === "get" || prop === "iterate")
          return (...params: unknown[]) => {
            recorded.push({ sql, params });
            return (value as (...a: unknown[]) => unknown).apply(target, params);
          };
        // raw(), pluck(), expand() return the statement itself: keep returning the recording proxy.
        return (...args: unknown[]) => {
          const out = (value as (...a: unknown[]) => unknown).apply(target, args);
          return out === target ? proxy : out;
        };
      },
    });
    return proxy;
  }) as typeof client.prepare);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return recorded;
}

/** The EXPLAIN QUERY PLAN rows' details of one recorded statement. */
function plan(client: Database.Database, statement: Recorded): string[] {
  const rows = client.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[];
  return rows.map((r) => r.detail);
}

let temp: ReturnType<typeof makeTempDataDir>;
let environmentId: number;
beforeAll(async () => {
  temp = makeTempDataDir("ec-listing-plan-");
  // Other accounts' domains around it, so that a plan that scans or sorts would have rows to scan or sort.
  await fillDomains({ accounts: 20, domains: 2000 });
  const env = await makeAccountWithApp("Acme");
  environmentId = env.environmentId;
  for (let i = 0; i < 60; i++) await makeDomain(env, `${i % 2 ? "shop" : "www"}${String(i).padStart(2, "0")}.acme.test`);
});
afterAll(() => temp.cleanup());

const cases: { name: string; query: Omit<DomainPageQuery, "environmentId"> }[] = [
  { name: "first page", query: { prefix: "", after: null, before: null } },
  { name: "next page (after)", query: { prefix: "", after: "shop11.acme.test", before: null } },
  { name: "previous page (before)", query: { prefix: "", after: null, before: "www40.acme.test" } },
  { name: "search by prefix", query: { prefix: "shop", after: null, before: null } },
  { name: "search by prefix, next page", query: { prefix: "shop", after: "shop21.acme.test", before: null } },
  { name: "search by prefix, previous page", query: { prefix: "shop", after: null, before: "shop41.acme.test" } },
];

/** One test per case: every read of `domains` the listing makes searches INDEX and sorts nothing. */
function checkCases() {
  for (const c of cases) {
    it(`${c.name}: every domains read searches ${INDEX}, no temp B-tree`, async () => {
      const client = readerClient();
      let rows = 0;
      const statements = await recordStatements(client, async () => {
        rows = (await listEnvironmentDomainPage({ environmentId, ...c.query }, 10)).rows.length;
      });
      expect(rows).toBeGreaterThan(0);
      const reads = statements.filter((s) => /from\s+"domains"/i.test(s.sql));
      // The page, the count, and (for after/before) the probe of the other side.
      expect(reads.length).toBeGreaterThanOrEqual(2);
      for (const statement of reads) {
        const details = plan(client, statement).join("\n");
        expect(details, statement.sql).toMatch(new RegExp(`SEARCH domains USING (COVERING )?INDEX ${INDEX} \\(environment_id=\\?`));
        expect(details, statement.sql).not.toMatch(/TEMP B-TREE/);
        expect(details, statement.sql).not.toMatch(/^SCAN domains/m);
      }
    });
  }
}

// SQLite's plans (EXPLAIN QUERY PLAN of each statement the listing sends). PostgreSQL's plans of the same index
// ranges are checked in lib/ops/large.test.ts.
const sqliteOnly = describe.skipIf(dialect() === "postgres");

sqliteOnly("SQLite: the environment's domain list uses domains(environment_id, hostname), fresh database", () => {
  checkCases();
});

sqliteOnly("SQLite: the environment's domain list uses domains(environment_id, hostname), after ANALYZE", () => {
  beforeAll(async () => {
    await withWriterClient((sqlite) => sqlite.exec("ANALYZE")); // with the statistics a long-lived database may have
  });
  checkCases();
});
