import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, dialect, writeTransaction } from "@/db";
import { users } from "@/db/schema";
import { makeAccount, makeUser } from "@/lib/testing/people";
import { fillDomains } from "@/lib/testing/ops-fixtures";
import { createTestDatabase, postgresAvailable, startTestCluster, type TestCluster } from "@/lib/testing/postgres";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { openTotpState, sealTotpState } from "@/lib/two-factor/secret-box";
import { copySqliteToPostgres, tablesInCopyOrder } from "./db-copy";

// The source is a SQLite console, so this runs in the suite's SQLite run (the PostgreSQL run covers the rest); the
// target is a throwaway PostgreSQL cluster of its own.
const missing = postgresAvailable();
if (missing && process.env.CI === "true") throw new Error(`db:copy test cannot run (CI=true): ${missing}`);
const runs = dialect() === "sqlite" && !missing;
const title = runs ? "db:copy" : `db:copy (skipped: ${missing ?? "it copies from SQLite; it runs in the SQLite run"})`;

describe.skipIf(!runs)(title, () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let cluster: TestCluster;
  const secret = "copy-test-secret-0123456789abcdef0123456789";
  const saved = process.env.AUTH_SECRET;
  let totpUserId = 0;

  beforeAll(async () => {
    process.env.AUTH_SECRET = secret;
    temp = makeTempDataDir("ec-db-copy-");
    cluster = await startTestCluster();
    const owner = await makeUser("owner@example.com");
    await makeAccount("Acme", [{ userId: owner.id, role: "owner" }]);
    totpUserId = owner.id;
    await writeTransaction((tx) =>
      tx
        .update(users)
        .set({ totpSecret: sealTotpState(owner.id, { secret: "JBSWY3DPEHPK3PXP", lastStep: 7 }), totpEnabledAt: new Date() })
        .where(eq(users.id, owner.id)),
    );
    await fillDomains({ accounts: 30, domains: 3000 });
  }, 60_000);

  afterAll(async () => {
    temp?.cleanup();
    await cluster?.stop();
    if (saved === undefined) delete process.env.AUTH_SECRET;
    else process.env.AUTH_SECRET = saved;
  });

  it("orders tables after the tables their foreign keys point at", () => {
    const order = tablesInCopyOrder();
    expect(order.indexOf("accounts")).toBeLessThan(order.indexOf("applications"));
    expect(order.indexOf("applications")).toBeLessThan(order.indexOf("environments"));
    expect(order.indexOf("environments")).toBeLessThan(order.indexOf("domains"));
    expect(order.indexOf("domains")).toBeLessThan(order.indexOf("dns_checks"));
  });

  it("refuses while the console still has its database open, then a secret that does not open the keys; writes nothing", async () => {
    const url = await createTestDatabase(cluster.url);
    await expect(copySqliteToPostgres(temp.dir, url)).rejects.toThrow(/is running/); // this process's connections
    await closeDb(); // the console stops
    process.env.AUTH_SECRET = "another-secret-another-secret-another";
    try {
      await expect(copySqliteToPostgres(temp.dir, url)).rejects.toThrow(/AUTH_SECRET/);
    } finally {
      process.env.AUTH_SECRET = secret;
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const tables = await client.query("select count(*)::int as n from information_schema.tables where table_name = 'users'");
    await client.end();
    expect(tables.rows[0].n).toBe(0); // refused before anything, migrations included
  });

  it("copies every row, keeps the counters and the sealed secrets, moves the ids on, and refuses a second copy", async () => {
    const url = await createTestDatabase(cluster.url);
    const report = await copySqliteToPostgres(temp.dir, url);
    const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
    expect(rows).toMatchObject({ accounts: 31, users: 1, memberships: 1, domains: 3000, domain_status_counts: 6, domain_status_deltas: 0 });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const counts = await client.query<{ status: string; count: string }>(
        "select status, count from domain_status_counts order by status",
      );
      expect(Object.fromEntries(counts.rows.map((r) => [r.status, Number(r.count)]))).toEqual({
        error: 600,
        flagged: 60,
        live: 600,
        misconfigured: 600,
        nxdomain: 600,
        pending: 600,
      });
      expect((await client.query("select count(*)::int as n from domain_status_deltas")).rows[0].n).toBe(0);
      const sealed = await client.query<{ totp_secret: string }>("select totp_secret from users where id = $1", [totpUserId]);
      expect(openTotpState(totpUserId, sealed.rows[0].totp_secret)).toEqual({ secret: "JBSWY3DPEHPK3PXP", lastStep: 7 });
      const made = await client.query<{ id: string }>("insert into accounts (name) values ('After the copy') returning id");
      expect(Number(made.rows[0].id)).toBe(32); // past the copied ids
    } finally {
      await client.end();
    }
    await expect(copySqliteToPostgres(temp.dir, url)).rejects.toThrow(/not empty/);
  }, 60_000);
});
