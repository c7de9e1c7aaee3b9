import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import {
  afterTransaction,
  closeDb,
  dialect,
  getDb,
  isUniqueViolation,
  openDatabase,
  readerClient,
  rowsOf,
  withWriterClient,
  writeTransaction,
  first,
  one,
} from "@/db";
import { rawReader } from "@/db/raw";
import { accounts, applications, environments, users } from "@/db/schema";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

async function countUsers(email: string): Promise<number> {
  const row = await first(
    getDb()
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .where(eq(users.email, email)),
  );
  return row?.n ?? 0;
}

describe("database", () => {
  // db/ stands alone (docs/architecture.md, "Data"): a fresh data folder made here, not with lib/testing.
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-db-test-"));
    process.env.DATA_DIR = dir;
    await closeDb();
    await openDatabase();
  });
  afterAll(async () => {
    await closeDb();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const onPostgres = dialect() === "postgres";

  it.skipIf(onPostgres)("SQLite: opens with WAL, foreign keys and a busy timeout", async () => {
    const client = readerClient();
    expect(client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(client.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(client.pragma("busy_timeout", { simple: true })).toBe(5000);
    await withWriterClient((writer) => {
      expect(writer.pragma("foreign_keys", { simple: true })).toBe(1);
    });
  });

  it("refuses a second environment whose name differs only in case", async () => {
    const app = await writeTransaction(async (tx) => {
      const account = await one(tx.insert(accounts).values({ name: "Acme" }).returning());
      return one(
        tx
          .insert(applications)
          .values({ accountId: account.id, name: "www.acme.test", repoName: "www.acme.test", repoDir: "x1", stackId: "varnish" })
          .returning(),
      );
    });
    await writeTransaction((tx) => tx.insert(environments).values({ accountId: app.accountId, applicationId: app.id, name: "Staging" }));
    await expect(
      writeTransaction((tx) => tx.insert(environments).values({ accountId: app.accountId, applicationId: app.id, name: "staging" })),
    ).rejects.toSatisfy((error) => isUniqueViolation(error, "environments"));
  });

  it.skipIf(!onPostgres)("PostgreSQL: write transactions run SERIALIZABLE; reads outside run READ COMMITTED", async () => {
    const inside = await writeTransaction(() => rowsOf<{ transaction_isolation: string }>(sql`show transaction_isolation`));
    expect(inside[0].transaction_isolation).toBe("serializable");
    const outside = await rowsOf<{ transaction_isolation: string }>(sql`show transaction_isolation`);
    expect(outside[0].transaction_isolation).toBe("read committed");
  });

  it("refuses a duplicate email and rolls back a failed write transaction", async () => {
    await expect(
      writeTransaction(async (tx) => {
        await tx.insert(users).values({ email: "a@example.com", passwordHash: "x" });
        await tx.insert(users).values({ email: "a@example.com", passwordHash: "y" });
      }),
    ).rejects.toSatisfy((error) => isUniqueViolation(error, "users.email"));
    expect(await countUsers("a@example.com")).toBe(0);
  });

  // On PostgreSQL the pool's connections may write (the rate limiter's store writes through it); ESLint's typed rules
  // and review keep the console's writes in writeTransaction there.
  it.skipIf(onPostgres)("SQLite: refuses a write outside writeTransaction (the reader is read-only)", async () => {
    await expect(
      (async () => {
        await getDb().insert(users).values({ email: "outside@example.com", passwordHash: "x" });
      })(),
    ).rejects.toThrow(/readonly/);
  });

  it("serialises concurrent transactions of one process: statements never interleave", async () => {
    // Each transaction reads a counter, yields to the event loop, then writes counter + 1. Without the writer lock
    // the second would read the same value (a lost update) or run its statements inside the first's transaction.
    await writeTransaction((tx) => tx.insert(accounts).values({ name: "counter-0" }));
    const bump = () =>
      writeTransaction(async (tx) => {
        const row = await first(
          tx
            .select()
            .from(accounts)
            .where(sql`name LIKE 'counter-%'`),
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
        const n = Number(row!.name.slice("counter-".length));
        await tx
          .update(accounts)
          .set({ name: `counter-${n + 1}` })
          .where(eq(accounts.id, row!.id));
      });
    await Promise.all(Array.from({ length: 10 }, bump));
    const row = await first(
      getDb()
        .select()
        .from(accounts)
        .where(sql`name LIKE 'counter-%'`),
    );
    expect(row?.name).toBe("counter-10");
  });

  it("sees its own writes through getDb() inside the transaction, and only committed rows outside", async () => {
    let seenInside = -1;
    let seenOutside = -1;
    await writeTransaction(async (tx) => {
      await tx.insert(users).values({ email: "inside@example.com", passwordHash: "x" });
      seenInside = await countUsers("inside@example.com");
      const [outside] = await rawReader().rows<{ n: number }>("SELECT count(*) AS n FROM users WHERE email = 'inside@example.com'");
      seenOutside = outside.n;
    });
    expect(seenInside).toBe(1);
    expect(seenOutside).toBe(0);
    expect(await countUsers("inside@example.com")).toBe(1);
  });

  it("runs a nested writeTransaction as a savepoint: its failure undoes only its own writes", async () => {
    await writeTransaction(async (tx) => {
      await tx.insert(users).values({ email: "outer@example.com", passwordHash: "x" });
      await expect(
        writeTransaction(async (inner) => {
          await inner.insert(users).values({ email: "inner@example.com", passwordHash: "x" });
          throw new Error("inner fails");
        }),
      ).rejects.toThrow("inner fails");
    });
    expect(await countUsers("outer@example.com")).toBe(1);
    expect(await countUsers("inner@example.com")).toBe(0);
  });

  it("runs afterTransaction callbacks once the transaction has ended, where another connection sees its rows", async () => {
    const seen: { committed: boolean; visible: number }[] = [];
    // Read on another connection (the reader / the pool), as the edge's reconcile does.
    const visibleOutside = () => rawReader().rows<{ n: number }>("SELECT count(*) AS n FROM users WHERE email = ?", ["after@example.com"]);
    const record = (committed: boolean) => void visibleOutside().then(([row]) => seen.push({ committed, visible: Number(row.n) }));
    await writeTransaction(async (tx) => {
      await tx.insert(users).values({ email: "after@example.com", passwordHash: "x" });
      afterTransaction(record);
      await writeTransaction(async () => afterTransaction(record)); // a savepoint's: with the outer transaction
      expect(seen).toEqual([]);
    });
    await expect(
      writeTransaction(async (tx) => {
        await tx.insert(users).values({ email: "rolled-back@example.com", passwordHash: "x" });
        afterTransaction((committed) => seen.push({ committed, visible: -1 }));
        throw new Error("fails");
      }),
    ).rejects.toThrow("fails");
    afterTransaction((committed) => seen.push({ committed, visible: -2 })); // outside any transaction: at once
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual(
      expect.arrayContaining([
        { committed: true, visible: 1 },
        { committed: false, visible: -1 },
        { committed: true, visible: -2 },
      ]),
    );
    expect(seen.filter((s) => s.visible === 1)).toHaveLength(2);
  });
});
