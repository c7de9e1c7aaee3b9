import type Database from "better-sqlite3";
import type { PoolClient } from "pg";
import { dialect, isRetryableTransactionError, pgPool, readerClient, withWriterClient } from "./index";

// Raw SQL for the few paths where Drizzle's builder costs too much (traffic ingest and its queries, metrics) —
// docs/architecture.md, "Data". One text with `?` placeholders runs on both databases: on PostgreSQL the `?`s become
// `$1…$n`. The text itself must be SQL both accept (no `INSERT OR …`, `ifnull`, scalar `max(a, b)`; qualify columns in
// `ON CONFLICT … DO UPDATE SET` with the table name).

/** Runs raw SQL: `rows` answers the rows of a query, `run` the number of rows a statement changed. */
export type RawQuery = {
  rows<T>(text: string, params?: readonly unknown[]): Promise<T[]>;
  run(text: string, params?: readonly unknown[]): Promise<number>;
};

const numbered = new Map<string, string>();

/** `?` placeholders → PostgreSQL's `$1…$n` (the texts hold no `?` inside string literals). Cached per text. */
function toPostgres(text: string): string {
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    numbered.set(text, out);
  }
  return out;
}

/** Prepared statements per SQLite connection and text: preparing parses the SQL, which costs more than many runs. */
const prepared = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function statement(connection: Database.Database, text: string): Database.Statement {
  let byText = prepared.get(connection);
  if (!byText) prepared.set(connection, (byText = new Map()));
  let found = byText.get(text);
  if (!found) {
    if (byText.size >= 500) byText.clear(); // texts with a variable number of placeholders stay bounded
    byText.set(text, (found = connection.prepare(text)));
  }
  return found;
}

function sqliteQuery(connection: Database.Database): RawQuery {
  return {
    rows: async <T>(text: string, params: readonly unknown[] = []) => statement(connection, text).all(...params) as T[],
    run: async (text, params = []) => statement(connection, text).run(...params).changes,
  };
}

function postgresQuery(client: { query: PoolClient["query"] }): RawQuery {
  return {
    rows: async <T>(text: string, params: readonly unknown[] = []) =>
      (await client.query(toPostgres(text), params as unknown[])).rows as T[],
    run: async (text, params = []) => (await client.query(toPostgres(text), params as unknown[])).rowCount ?? 0,
  };
}

/** Raw reads outside a transaction: SQLite's read-only reader, or PostgreSQL's pool. */
export function rawReader(): RawQuery {
  return dialect() === "sqlite" ? sqliteQuery(readerClient()) : postgresQuery(pgPool());
}

/**
 * Runs `fn` in one raw write transaction and resolves to its result (rolled back when it throws). SQLite: `BEGIN
 * IMMEDIATE` on the writer under the writer lock. PostgreSQL: READ COMMITTED on one pooled connection — meant for
 * statements that are atomic by themselves (upserts, single-statement claims); after a deadlock or serialization
 * failure `fn` runs again (up to 5 times). Not callable inside a `writeTransaction`.
 */
export async function rawWriteTransaction<T>(fn: (q: RawQuery) => Promise<T>): Promise<T> {
  if (dialect() === "sqlite") {
    return withWriterClient(async (writer) => {
      writer.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(sqliteQuery(writer));
        writer.exec("COMMIT");
        return result;
      } catch (error) {
        if (writer.inTransaction) writer.exec("ROLLBACK");
        throw error;
      }
    });
  }
  for (let attempt = 1; ; attempt += 1) {
    const client = await pgPool().connect();
    try {
      await client.query("BEGIN");
      const result = await fn(postgresQuery(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      if (attempt >= 5 || !isRetryableTransactionError(error)) throw error;
    } finally {
      client.release();
    }
  }
}
