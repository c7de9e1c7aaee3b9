import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, pgPool } from "@/db";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { makeApplication } from "@/lib/environments/fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { foldDomainStatusDeltas } from "./queries";

// The leader's fold of the status deltas beside the console's SERIALIZABLE writes (PostgreSQL only: SQLite keeps its
// counters with triggers and has no fold). The fold reads the whole `domain_status_deltas` table, and every new domain
// appends a row to it. Run SERIALIZABLE, that read was a read-write dependency into every transaction adding a domain at
// that moment; one that had also read a hostname index page another creation then wrote became a pivot and was
// aborted. `npm run bench -- cluster` (3 instances, 2 workers, 50 users) saw 20 of 120 application creations answer
// 500 after their 12 attempts.

const run = dialect() === "postgres" ? describe : describe.skip;

run("the status fold and concurrent creations (postgres)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-fold-ssi-");
  });
  afterAll(async () => {
    await settleEdgeChanges();
    temp.cleanup();
  });

  it("does not abort a creation that read a hostname another creation wrote", async () => {
    const { app, account } = await makeApplication("fold");
    await settleEdgeChanges(); // the creation's background edge reconcile, done before the transactions below start
    const production = await pgPool().query<{ id: string }>("SELECT id FROM environments WHERE application_id = $1", [app.id]);
    const insertDomain = `INSERT INTO domains (account_id, application_id, environment_id, hostname, hostname_unicode, is_apex, verification_token)
      VALUES ($1, $2, $3, $4, $4, 0, 't')`;
    const [creation, other] = [await pgPool().connect(), await pgPool().connect()];
    try {
      // A creation looks its hostname up (a page of the hostname index) and adds the domain (a status delta with it).
      await creation.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      await creation.query("SELECT account_id FROM domains WHERE hostname = 'a.fold.example'");
      await creation.query(insertDomain, [account.id, app.id, production.rows[0].id, "a.fold.example"]);
      // Another creation writes a hostname on that page and commits first.
      await other.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      await other.query("SELECT account_id FROM domains WHERE hostname = 'b.fold.example'");
      await other.query(insertDomain, [account.id, app.id, production.rows[0].id, "b.fold.example"]);
      await other.query("COMMIT");
      // The leader folds the deltas meanwhile.
      await foldDomainStatusDeltas();
      // The first creation must still commit, and its delta is counted once the next fold runs.
      await expect(creation.query("COMMIT")).resolves.toBeDefined();
      await foldDomainStatusDeltas();
      const { rows } = await pgPool().query<{ count: string }>("SELECT count FROM domain_status_counts WHERE status = 'pending'");
      const actual = await pgPool().query<{ n: string }>("SELECT count(*) AS n FROM domains WHERE status = 'pending'");
      expect(Number(rows[0].count)).toBe(Number(actual.rows[0].n));
    } finally {
      await creation.query("ROLLBACK").catch(() => {});
      creation.release();
      other.release();
    }
  });
});
