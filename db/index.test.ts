import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { getDb, writeTransaction } from "@/db";
import { accounts, applications, environments, users } from "@/db/schema";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

describe("database", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir();
  });
  afterAll(() => temp.cleanup());

  it("opens with WAL, foreign keys and a busy timeout", () => {
    const client = getDb().$client;
    expect(client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(client.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(client.pragma("busy_timeout", { simple: true })).toBe(5000);
  });

  it("refuses a second environment whose name differs only in case", () => {
    const db = getDb();
    const account = db.insert(accounts).values({ name: "Acme" }).returning().get();
    const app = db
      .insert(applications)
      .values({ accountId: account.id, name: "www.acme.test", repoName: "www.acme.test", repoDir: "x1", stackId: "varnish" })
      .returning()
      .get();
    db.insert(environments).values({ accountId: account.id, applicationId: app.id, name: "Staging" }).run();
    expect(() => db.insert(environments).values({ accountId: account.id, applicationId: app.id, name: "staging" }).run()).toThrow(/UNIQUE/);
  });

  it("refuses a duplicate email and rolls back a failed write transaction", () => {
    const db = getDb();
    expect(() =>
      writeTransaction((tx) => {
        tx.insert(users).values({ email: "a@example.com", passwordHash: "x" }).run();
        tx.insert(users).values({ email: "a@example.com", passwordHash: "y" }).run();
      }),
    ).toThrow(/UNIQUE/);
    const count = db
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .where(sql`email = 'a@example.com'`)
      .get();
    expect(count?.n).toBe(0);
  });
});
