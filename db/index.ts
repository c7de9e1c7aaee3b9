import fs from "node:fs";
import path from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { RunResult } from "better-sqlite3";
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { databaseDialect, type DatabaseDialect } from "./dialect";
import { dataDirectory } from "./location";
import * as schema from "./schema";
import * as pgSchema from "./schema/pg";

// The one database client of the console (docs/architecture.md, "Data"). Every query is awaited and every write
// runs inside `writeTransaction`. The code is written once against the SQLite tables' types (`Db`); with
// `DATABASE_URL` set the same queries run on PostgreSQL (db/schema/index.ts hands out the PostgreSQL tables). Only
// the subset both dialects share is used: query builders are awaited (never `.get()`/`.all()`/`.run()`, which only
// SQLite has; ESLint refuses them), raw SQL goes through `rowsOf`/`execute`, and `first` takes a query's first row.
//
// SQLite: a process holds two connections:
// - the writer, behind an in-process async lock: `writeTransaction` takes the lock, runs `BEGIN IMMEDIATE`, awaits
//   its callback and commits. Nothing else ever runs on the writer outside the lock, so statements of two async
//   flows can never interleave inside one transaction. (A second connection writing while an async transaction is
//   open would block the event loop in SQLite's busy handler until SQLITE_BUSY: all writes of a process go here.)
// - a read-only reader for everything outside a transaction (WAL lets it read while the writer writes).
// PostgreSQL: a pool (`DATABASE_POOL_SIZE`, default 10). `writeTransaction` runs SERIALIZABLE on one pooled
// connection and runs its callback again after a serialization failure or a deadlock (SQLSTATE 40001, 40P01), so
// the rules SQLite's single writer kept (last owner, single-use links, TOTP replay…) hold across processes.
// Inside a transaction's async context `getDb()` returns the transaction's connection, so helpers called from a
// transaction see its own writes.

/** The console's database handle: every query returns a Promise. `transaction` is left out: use `writeTransaction`. */
export type Db = Omit<BaseSQLiteDatabase<"async", RunResult, typeof schema>, "transaction">;
/** The handle a `writeTransaction` callback receives (the same interface as `Db`). */
export type Tx = Db;
/** The PostgreSQL database as Drizzle types it, for the few dialect-specific paths (bulk writes, raw SQL). */
export type PgDb = NodePgDatabase<typeof pgSchema>;

type SqliteConnections = {
  dialect: "sqlite";
  writer: Database.Database;
  reader: Database.Database;
  writerDb: Db;
  readerDb: Db;
};
type PgConnections = { dialect: "postgres"; pool: pg.Pool; db: PgDb; migrated: Promise<void> | null };
type Connections = SqliteConnections | PgConnections;
/** `ended`: what `afterTransaction` registered, told whether this attempt committed once it has ended. */
type TxContext = { db: Db; open: boolean; depth: number; ended: ((committed: boolean) => void)[] };

let instance: Connections | null = null;
const transactionContext = new AsyncLocalStorage<TxContext>();
let lockTail: Promise<void> = Promise.resolve();

/** Path of the SQLite file inside `DATA_DIR`. */
export function databaseFile(): string {
  return path.join(dataDirectory(), "console.db");
}

/**
 * Names this process's database now: the SQLite file's path, or the PostgreSQL URL. Background work started for one
 * database compares it before running (tests switch databases between cases).
 */
export function databaseIdentity(): string {
  return process.env.DATABASE_URL || databaseFile();
}

/** The dialect of this process's database (`DATABASE_URL` set → PostgreSQL). */
export function dialect(): DatabaseDialect {
  return databaseDialect();
}

function configure(sqlite: Database.Database): void {
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
}

/**
 * Opens the writer and reader connections of a SQLite file with the pragmas every process of the console uses
 * (WAL, foreign keys, 5 s busy timeout) and applies the committed drizzle-kit migrations on the writer.
 * Creates the folder and file when missing.
 */
function openSqlite(file: string): SqliteConnections {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const writer = new Database(file);
  writer.pragma("journal_mode = WAL");
  writer.pragma("synchronous = NORMAL");
  configure(writer);
  const writerSync = drizzle(writer, { schema });
  migrate(writerSync, { migrationsFolder: path.join(process.cwd(), "db", "migrations") });
  const reader = new Database(file, { readonly: true });
  configure(reader);
  // Drizzle's better-sqlite3 database answers synchronously; awaiting a plain value is the same value, so the
  // async type is sound at run time and lets the same code run on an asynchronous driver.
  return {
    dialect: "sqlite",
    writer,
    reader,
    writerDb: writerSync as unknown as Db,
    readerDb: drizzle(reader, { schema }) as unknown as Db,
  };
}

// int8 (count(*), bigint columns read through raw SQL) and numeric (sum of bigints) come back from node-postgres as
// strings; the console's integers all fit in a double (ids, ms timestamps, byte counts), as they do on SQLite. Set on
// node-postgres's global parsers: Drizzle's driver passes its own per-query parsers that fall back to those.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
let parsersSet = false;
function setNumberParsers(): void {
  if (parsersSet) return;
  parsersSet = true;
  const toNumber = (value: string) => Number(value);
  pg.types.setTypeParser(INT8_OID, toNumber);
  pg.types.setTypeParser(NUMERIC_OID, toNumber);
}

function openPostgres(url: string): PgConnections {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new Error("DATABASE_URL must be a postgres:// (or postgresql://) URL; unset, the console uses SQLite in DATA_DIR.");
  setNumberParsers();
  const size = Number(process.env.DATABASE_POOL_SIZE || 10);
  const pool = new pg.Pool({
    connectionString: url,
    max: Number.isInteger(size) && size > 0 ? size : 10,
    application_name: `edge-console:${process.env.CONSOLE_ROLE || "all"}`,
  });
  // An idle pooled connection that dies (server restart) emits 'error' on the pool; without a listener the process
  // would exit. The next checkout opens a fresh connection.
  pool.on("error", () => {});
  // The same for a connection that dies while checked out (a server restart, a dropped database): its query in
  // flight rejects, which its caller handles; the client's own 'error' event must not end the process.
  pool.on("connect", (client) => client.on("error", () => {}));
  return { dialect: "postgres", pool, db: drizzlePg(pool, { schema: pgSchema }), migrated: null };
}

function connections(): Connections {
  if (!instance) {
    const url = process.env.DATABASE_URL;
    instance = url ? openPostgres(url) : openSqlite(databaseFile());
  }
  return instance;
}

/** Arbitrary 64-bit key of the advisory lock migrations run under ("edge-console migrations"). */
const MIGRATION_LOCK = 7_212_083_411;

/**
 * Applies the committed PostgreSQL migrations (db/migrations-pg) under a session advisory lock, so that instances
 * starting together migrate one after the other and the later ones find nothing to do.
 */
async function migratePostgres(connectionsPg: PgConnections): Promise<void> {
  const client = await connectionsPg.pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migratePg(drizzlePg(client), { migrationsFolder: path.join(process.cwd(), "db", "migrations-pg") });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/**
 * The database handle for the current context: inside a `writeTransaction` callback (and anything it awaits) the
 * transaction's connection, elsewhere the read-only reader (SQLite) or the pool (PostgreSQL). Opened lazily (never at
 * import: `next build` runs imports). A write outside `writeTransaction` fails on SQLite with "attempt to write a
 * readonly database".
 */
export function getDb(): Db {
  const context = transactionContext.getStore();
  if (context?.open) return context.db;
  const open = connections();
  return open.dialect === "sqlite" ? open.readerDb : (open.db as unknown as Db);
}

/** Takes the in-process writer lock; resolves to its release function. Waiters are served in arrival order. */
async function lockWriter(): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const previous = lockTail;
  lockTail = previous.then(() => held);
  await previous;
  return release;
}

/** Options of `writeTransaction`. */
export type WriteOptions = { isolation?: "serializable" | "read committed" };

/** SQLSTATEs after which a SERIALIZABLE transaction is run again: serialization_failure, deadlock_detected. */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 12;

/** The SQLSTATE (PostgreSQL) or SQLite result code of an error, looked up through Drizzle's wrapping `cause`s. */
export function databaseErrorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

/**
 * True when `error` (or a `cause` it wraps) is a UNIQUE violation on `what`, written `table.column` (for a
 * composite key, any one of its columns): SQLite's `SQLITE_CONSTRAINT_UNIQUE` whose message names it, or
 * PostgreSQL's SQLSTATE 23505 on that table whose detail (`Key (column, …)=(…) already exists.`) names the column.
 */
export function isUniqueViolation(error: unknown, what: string): boolean {
  const [table, column] = what.split(".");
  for (
    let e = error as { code?: unknown; message?: unknown; table?: unknown; detail?: unknown; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === "SQLITE_CONSTRAINT_UNIQUE" && String(e.message).includes(what)) return true;
    if (e.code === "23505" && e.table === table) {
      const key = /^Key \(([^)]*)\)=/.exec(String(e.detail ?? ""));
      if (
        !column ||
        (key &&
          key[1]
            .split(",")
            .map((c) => c.trim().replace(/^"|"$/g, ""))
            .includes(column))
      )
        return true;
    }
  }
  return false;
}

/**
 * True when `error` (or a `cause` it wraps) is a foreign-key violation: SQLite's `SQLITE_CONSTRAINT_FOREIGNKEY`, or
 * PostgreSQL's SQLSTATE 23503 (foreign_key_violation) — a row refers to one that does not exist (any more).
 */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";
}

/** True when `error` is a serialization failure or deadlock that `writeTransaction` retries. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs `fn` in one write transaction and resolves to its result; rolls back and rethrows when it throws. A call from
 * inside another transaction's callback becomes a savepoint of it. Keep `fn` free of side effects (git, DNS, mail):
 * do them before or after, as docs/architecture.md says — on PostgreSQL `fn` may run more than once.
 * - SQLite: `BEGIN IMMEDIATE` on the writer, behind the in-process lock (the write lock is held from the start, so a
 *   reader never fails to upgrade).
 * - PostgreSQL: `BEGIN ISOLATION LEVEL SERIALIZABLE` on a pooled connection; after SQLSTATE 40001/40P01 the
 *   transaction runs again (up to 12 times, with a growing random pause of 2–200 ms), then the error is thrown.
 *   `options.isolation: "read committed"` is for writes already made exclusive otherwise — rows held by a lease the
 *   caller took, single-statement claims (`UPDATE … WHERE lease is free`), inserts whose only rule across transactions
 *   is a UNIQUE constraint the caller retries on (an application's creation): SERIALIZABLE's page-level predicate
 *   locks would make two checkers storing disjoint domains, or two creations in different accounts, abort each other.
 *   SQLite ignores it (one writer).
 */
export async function writeTransaction<T>(fn: (tx: Tx) => Promise<T> | T, options: WriteOptions = {}): Promise<T> {
  const outer = transactionContext.getStore();
  if (outer?.open) return savepoint(outer, fn);
  const open = connections();
  if (open.dialect === "postgres") return postgresTransaction(open, fn, options.isolation ?? "serializable");
  const release = await lockWriter();
  const { writer, writerDb } = open;
  const context: TxContext = { db: writerDb, open: true, depth: 0, ended: [] };
  let committed = false;
  try {
    writer.exec("BEGIN IMMEDIATE");
    try {
      const result = await transactionContext.run(context, () => fn(writerDb));
      context.open = false;
      writer.exec("COMMIT");
      committed = true;
      return result;
    } catch (error) {
      context.open = false;
      if (writer.inTransaction) writer.exec("ROLLBACK");
      throw error;
    }
  } finally {
    release();
    tellEnded(context, committed);
  }
}

/** Runs what `afterTransaction` registered on `context`, outside it (the callbacks never throw: see there). */
function tellEnded(context: TxContext, committed: boolean): void {
  for (const callback of context.ended.splice(0)) callback(committed);
}

/**
 * Runs `callback(committed)` once the write transaction the caller is in has ended: `true` after its commit, `false`
 * after a rollback (on PostgreSQL each attempt ends on its own, and a retried attempt registers again). Outside a
 * transaction it runs at once with `true`. For work that must see the transaction's rows from another connection,
 * such as the edge's reconcile (lib/edge/changes.ts `noteEdgeChange`): started inside the transaction, it could read
 * before the commit on PostgreSQL. Callbacks of a savepoint run with the outer transaction. A callback must not throw.
 */
export function afterTransaction(callback: (committed: boolean) => void): void {
  const context = transactionContext.getStore();
  if (context?.open) context.ended.push(callback);
  else callback(true);
}

async function postgresTransaction<T>(
  open: PgConnections,
  fn: (tx: Tx) => Promise<T> | T,
  isolationLevel: "serializable" | "read committed",
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    let context: TxContext | null = null;
    try {
      const result = await open.db.transaction(
        async (pgTx) => {
          const tx = pgTx as unknown as Tx;
          context = { db: tx, open: true, depth: 0, ended: [] };
          const current = context;
          try {
            return await transactionContext.run(current, () => fn(tx));
          } finally {
            current.open = false;
          }
        },
        { isolationLevel },
      );
      if (context) tellEnded(context, true);
      return result;
    } catch (error) {
      if (context) tellEnded(context, false);
      if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
      const pause = Math.min(200, 2 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

async function savepoint<T>(context: TxContext, fn: (tx: Tx) => Promise<T> | T): Promise<T> {
  const open = connections();
  const name = `sp${++context.depth}`;
  const run = (statement: string) =>
    open.dialect === "sqlite" ? open.writer.exec(statement) : (context.db as unknown as PgDb).execute(statement);
  await run(`SAVEPOINT ${name}`);
  try {
    const result = await fn(context.db);
    await run(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await run(`ROLLBACK TO SAVEPOINT ${name}`);
    await run(`RELEASE SAVEPOINT ${name}`);
    throw error;
  } finally {
    context.depth -= 1;
  }
}

/**
 * Runs `fn` with the raw better-sqlite3 writer connection while holding the writer lock, outside any transaction
 * unless `fn` opens one. SQLite only (throws on PostgreSQL): for bulk work that prepared raw statements do best (the
 * seed, benchmarks). Not callable from inside a transaction.
 */
export async function withWriterClient<T>(fn: (client: Database.Database) => Promise<T> | T): Promise<T> {
  if (transactionContext.getStore()?.open) throw new Error("withWriterClient cannot run inside a writeTransaction");
  const open = connections();
  if (open.dialect !== "sqlite") throw new Error("withWriterClient is for SQLite; use pgPool() on PostgreSQL");
  const release = await lockWriter();
  try {
    return await fn(open.writer);
  } finally {
    release();
  }
}

/** The raw read-only SQLite connection, for raw SQL reads (EXPLAIN QUERY PLAN tests, pragmas). SQLite only. */
export function readerClient(): Database.Database {
  const open = connections();
  if (open.dialect !== "sqlite") throw new Error("readerClient is for SQLite; use pgPool() on PostgreSQL");
  return open.reader;
}

/** The PostgreSQL pool (raw `pg` access for bulk statements and libraries). PostgreSQL only. */
export function pgPool(): pg.Pool {
  const open = connections();
  if (open.dialect !== "postgres") throw new Error("pgPool is for PostgreSQL (DATABASE_URL)");
  return open.pool;
}

/**
 * Opens the database now and applies its migrations (SQLite: synchronously, before this returns its promise;
 * PostgreSQL: under an advisory lock). The start-up path and tests call it to fail early.
 */
export function openDatabase(): Promise<void> {
  const open = connections();
  if (open.dialect === "sqlite") return Promise.resolve();
  open.migrated ??= migratePostgres(open);
  return open.migrated;
}

/** Closes the process's connections (tests switch `DATA_DIR`/`DATABASE_URL` between databases). */
export function closeDb(): Promise<void> {
  const open = instance;
  instance = null;
  if (!open) return Promise.resolve();
  if (open.dialect === "sqlite") {
    open.reader.close();
    open.writer.close();
    return Promise.resolve();
  }
  return open.pool.end();
}

/** The first row of a query's result (`undefined` when there is none): the portable form of SQLite's `.get()`. */
export async function first<T>(query: PromiseLike<T[]>): Promise<T | undefined> {
  const rows = await query;
  return rows[0];
}

/**
 * The one row an `insert/update … returning()` produced: the portable form of SQLite's `.returning().get()`. Throws
 * when the statement returned no row (an update whose `where` matched nothing).
 */
export async function one<T>(query: PromiseLike<T[]>): Promise<T> {
  const rows = await query;
  if (rows.length === 0) throw new Error("one(): the statement returned no row");
  return rows[0];
}

/** Rows of a raw SQL query on the current handle (`getDb()`), with columns as the database names them. */
export async function rowsOf<T>(query: SQL): Promise<T[]> {
  const db = getDb();
  if (dialect() === "sqlite") return (await db.all(query)) as T[];
  return (await (db as unknown as PgDb).execute(query)).rows as T[];
}

/** Runs a raw SQL statement on the current handle; resolves to the number of rows it changed. */
export async function execute(query: SQL): Promise<number> {
  const db = getDb();
  if (dialect() === "sqlite") return (await db.run(query)).changes;
  return (await (db as unknown as PgDb).execute(query)).rowCount ?? 0;
}

/**
 * The value of the top-level key `key` of a JSON column, as SQL: SQLite's `json_extract(column, '$.key')`, PostgreSQL's
 * `column ->> 'key'` (text there: compare it with a parameter, which PostgreSQL then reads as text). `key` must be a
 * plain identifier (it is written into the SQL).
 */
export function jsonField(column: SQLWrapper, key: string): SQL {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`jsonField: not a plain key: ${key}`);
  return dialect() === "sqlite" ? sql`json_extract(${column}, ${sql.raw(`'$.${key}'`)})` : sql`(${column} ->> ${sql.raw(`'${key}'`)})`;
}

/**
 * Rows changed by an awaited insert/update/delete without `.returning()`: SQLite's `RunResult.changes`,
 * node-postgres's `rowCount`.
 */
export function affectedRows(result: unknown): number {
  const r = result as { changes?: number; rowCount?: number | null };
  return r.changes ?? r.rowCount ?? 0;
}

export { schema };
