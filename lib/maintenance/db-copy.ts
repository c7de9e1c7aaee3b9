import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { is } from "drizzle-orm";
import pg from "pg";
import * as sqliteSchema from "@/db/schema/sqlite";
import { certificateKeyContext } from "@/lib/https/edge";
import { openPrivateKey } from "@/lib/https/secret-box";
import { openTotpState } from "@/lib/two-factor/secret-box";

// `npm run db:copy -- --to postgres://…` (docs/product.md §11, docs/architecture.md "Moving to PostgreSQL"): copies a
// stopped SQLite console into an empty PostgreSQL database, in one transaction, and compares the row counts.

/** Why a copy was refused: a sentence for the operator. */
export class CopyRefused extends Error {}

/** What a copy did: rows per table (source = target, verified) and how long it took (ms). */
export type CopyReport = { tables: { table: string; rows: number }[]; ms: number };

/** Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters; the widest table has under 50 columns). */
const BATCH_ROWS = 500;

/** The console's tables in an order where every table comes after the tables its foreign keys point at. */
export function tablesInCopyOrder(): string[] {
  const tables = (Object.values(sqliteSchema) as unknown[]).filter((value): value is SQLiteTable => is(value, SQLiteTable));
  const refs = new Map<string, Set<string>>();
  for (const table of tables) {
    const config = getTableConfig(table);
    const targets = new Set(config.foreignKeys.map((fk) => getTableConfig(fk.reference().foreignTable).name));
    targets.delete(config.name);
    refs.set(config.name, targets);
  }
  const order: string[] = [];
  const visit = (name: string, trail: Set<string>) => {
    if (order.includes(name)) return;
    if (trail.has(name)) throw new Error(`foreign keys form a cycle through ${name}`);
    trail.add(name);
    for (const target of refs.get(name) ?? []) visit(target, trail);
    trail.delete(name);
    order.push(name);
  };
  for (const name of [...refs.keys()].sort()) visit(name, new Set());
  return order;
}

/**
 * Refuses (CopyRefused) unless the copy will keep working with the AUTH_SECRET of this process, which the
 * PostgreSQL console must run with: TOTP secrets and private keys are encrypted under it. When `DATA_DIR/auth-secret`
 * exists (the embedded default generated one), AUTH_SECRET must equal it; and one sealed TOTP secret and one sealed
 * certificate key of the source, if any, must open.
 */
export function checkAuthSecret(source: Database.Database, dataDir: string): void {
  const env = process.env.AUTH_SECRET;
  if (!env) throw new CopyRefused('Set AUTH_SECRET to the secret the PostgreSQL console will run with (README, "Many instances").');
  const file = path.join(dataDir, "auth-secret");
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8").trim() !== env) {
    throw new CopyRefused(
      `AUTH_SECRET differs from ${file}, which this console has used: run with AUTH_SECRET set to that file's content, or sessions, TOTP secrets and private keys are lost.`,
    );
  }
  const totp = source.prepare("SELECT id, totp_secret AS sealed FROM users WHERE totp_secret IS NOT NULL LIMIT 1").get() as
    { id: number; sealed: string } | undefined;
  const key = source
    .prepare("SELECT domain_id AS id, private_key_sealed AS sealed FROM domain_certificates WHERE private_key_sealed IS NOT NULL LIMIT 1")
    .get() as { id: number; sealed: string } | undefined;
  try {
    if (totp) openTotpState(totp.id, totp.sealed);
    if (key) openPrivateKey(certificateKeyContext(key.id), key.sealed);
  } catch {
    throw new CopyRefused(
      "AUTH_SECRET does not open this console's encrypted TOTP secrets or private keys: it is not the secret they were sealed with.",
    );
  }
}

/**
 * Copies every table of the stopped SQLite console in `dataDir` (refused while another process has its database
 * open; migrated first, like a start would) into the PostgreSQL
 * database at `targetUrl` (migrated first; must hold no rows but the seeded status counters), then moves the identity
 * sequences past the copied ids and checks that each table has as many rows as the source. One transaction: a
 * failure leaves the target as it was. Rejects with CopyRefused for a non-empty target or a wrong AUTH_SECRET.
 */
export async function copySqliteToPostgres(dataDir: string, targetUrl: string): Promise<CopyReport> {
  const started = Date.now();
  const file = path.join(dataDir, "console.db");
  if (!fs.existsSync(file)) throw new CopyRefused(`No SQLite console at ${file} (DATA_DIR).`);
  const source = new Database(file);
  const target = new pg.Client({ connectionString: targetUrl });
  try {
    // The console must be stopped: a running console or worker keeps the file open, and its later writes would be
    // lost. An exclusive lock fails while any other connection is open, and is then held until the copy ends.
    source.pragma("busy_timeout = 0");
    source.pragma("locking_mode = EXCLUSIVE");
    source.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch {
    source.close();
    throw new CopyRefused(
      `The SQLite console in ${dataDir} is running (its database is open elsewhere): stop the console and its workers first.`,
    );
  }
  try {
    checkAuthSecret(source, dataDir);
  } catch (error) {
    source.close();
    throw error;
  }
  migrateSqlite(drizzleSqlite(source), { migrationsFolder: path.join(process.cwd(), "db", "migrations") });
  await target.connect();
  try {
    await migrate(drizzle(target), { migrationsFolder: path.join(process.cwd(), "db", "migrations-pg") });
    const tables = tablesInCopyOrder();
    for (const table of tables) {
      const { rows } = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
      const seeded = table === "domain_status_counts" ? 6 : 0;
      if (rows[0].n > seeded)
        throw new CopyRefused(`The target database is not empty: ${table} has ${rows[0].n} rows. Copy into an empty database.`);
    }
    const report: CopyReport["tables"] = [];
    await target.query("BEGIN");
    try {
      for (const table of tables) report.push({ table, rows: await copyTable(source, target, table) });
      // The copy's inserts into domains fired the status triggers: the copied counters already hold those rows.
      await target.query("DELETE FROM domain_status_deltas");
      const identities = await target.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
      );
      for (const { table_name: table } of identities.rows) {
        await target.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce((SELECT max(id) FROM "${table}"), 0) + 1, false)`, [
          `"${table}"`,
        ]);
      }
      for (const { table, rows } of report) {
        const { rows: counted } = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
        if (counted[0].n !== rows) throw new Error(`${table}: ${rows} rows in SQLite, ${counted[0].n} in PostgreSQL`);
      }
      await target.query("COMMIT");
    } catch (error) {
      await target.query("ROLLBACK").catch(() => {});
      throw error;
    }
    return { tables: report, ms: Date.now() - started };
  } finally {
    source.close();
    await target.end();
  }
}

/** Copies one table in batches of BATCH_ROWS rows (the status counters are upserted over the seeded ones). */
async function copyTable(source: Database.Database, target: pg.Client, table: string): Promise<number> {
  const columns = (source.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string }[]).map(
    (c) => c.name,
  );
  const list = columns.map((c) => `"${c}"`).join(", ");
  const conflict = table === "domain_status_counts" ? ` ON CONFLICT ("status") DO UPDATE SET "count" = excluded."count"` : "";
  const total = (source.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  const select = source.prepare(`SELECT ${list} FROM "${table}" ORDER BY rowid LIMIT ? OFFSET ?`).raw();
  for (let offset = 0; offset < total; offset += BATCH_ROWS) {
    const rows = select.all(BATCH_ROWS, offset) as unknown[][];
    if (!rows.length) break;
    const values: unknown[] = [];
    const tuples = rows.map((row) => `(${row.map((value) => (values.push(value), `$${values.length}`)).join(", ")})`);
    await target.query(`INSERT INTO "${table}" (${list}) VALUES ${tuples.join(", ")}${conflict}`, values);
  }
  return total;
}
