import fs from "node:fs";
import path from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { RunResult } from "better-sqlite3";
import { dataDirectory } from "./location";
import * as schema from "./schema";

// The one database client of the console (docs/architecture.md, "Data"). Every query is awaited and every write
// runs inside `writeTransaction`; the types say so: `Db` is Drizzle's *async* SQLite database, so a leftover
// synchronous `.get()`/`.all()`/`.run()` result is a Promise and fails to compile where a row is used.
//
// On SQLite a process holds two connections:
// - the writer, behind an in-process async lock: `writeTransaction` takes the lock, runs `BEGIN IMMEDIATE`, awaits
//   its callback and commits. Nothing else ever runs on the writer outside the lock, so statements of two async
//   flows can never interleave inside one transaction. (A second connection writing while an async transaction is
//   open would block the event loop in SQLite's busy handler until SQLITE_BUSY: all writes of a process go here.)
// - a read-only reader for everything outside a transaction (WAL lets it read while the writer writes).
// Inside a transaction's async context `getDb()` returns the transaction's connection, so helpers called from a
// transaction see its own writes.

/** The console's database handle: every query returns a Promise. `transaction` is left out: use `writeTransaction`. */
export type Db = Omit<BaseSQLiteDatabase<"async", RunResult, typeof schema>, "transaction">;
/** The handle a `writeTransaction` callback receives (the same interface as `Db`). */
export type Tx = Db;

type Connections = { writer: Database.Database; reader: Database.Database; writerDb: Db; readerDb: Db };
type TxContext = { db: Db; open: boolean; depth: number };

let instance: Connections | null = null;
const transactionContext = new AsyncLocalStorage<TxContext>();
let lockTail: Promise<void> = Promise.resolve();

/** Path of the SQLite file inside `DATA_DIR`. */
export function databaseFile(): string {
  return path.join(dataDirectory(), "console.db");
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
function openConnections(file: string): Connections {
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
  return { writer, reader, writerDb: writerSync as unknown as Db, readerDb: drizzle(reader, { schema }) as unknown as Db };
}

function connections(): Connections {
  if (!instance) instance = openConnections(databaseFile());
  return instance;
}

/**
 * The database handle for the current context: inside a `writeTransaction` callback (and anything it awaits) the
 * transaction's connection, elsewhere the read-only reader. Opened lazily (never at import: `next build` runs
 * imports). A write outside `writeTransaction` fails with SQLite's "attempt to write a readonly database".
 */
export function getDb(): Db {
  const context = transactionContext.getStore();
  if (context?.open) return context.db;
  return connections().readerDb;
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

/**
 * Runs `fn` in one write transaction (`BEGIN IMMEDIATE` on the writer connection, taken behind the in-process lock,
 * so the write lock is held from the start and a reader never fails to upgrade). Commits when `fn` resolves, rolls
 * back and rethrows when it throws. A call from inside another transaction's callback becomes a savepoint of it.
 * Keep `fn` free of side effects (git, DNS, mail): do them before or after, as docs/architecture.md says.
 */
export async function writeTransaction<T>(fn: (tx: Tx) => Promise<T> | T): Promise<T> {
  const outer = transactionContext.getStore();
  if (outer?.open) return savepoint(outer, fn);
  const release = await lockWriter();
  try {
    const { writer, writerDb } = connections();
    const context: TxContext = { db: writerDb, open: true, depth: 0 };
    writer.exec("BEGIN IMMEDIATE");
    try {
      const result = await transactionContext.run(context, () => fn(writerDb));
      context.open = false;
      writer.exec("COMMIT");
      return result;
    } catch (error) {
      context.open = false;
      if (writer.inTransaction) writer.exec("ROLLBACK");
      throw error;
    }
  } finally {
    release();
  }
}

async function savepoint<T>(context: TxContext, fn: (tx: Tx) => Promise<T> | T): Promise<T> {
  const { writer } = connections();
  const name = `sp${++context.depth}`;
  writer.exec(`SAVEPOINT ${name}`);
  try {
    const result = await fn(context.db);
    writer.exec(`RELEASE ${name}`);
    return result;
  } catch (error) {
    writer.exec(`ROLLBACK TO ${name}`);
    writer.exec(`RELEASE ${name}`);
    throw error;
  } finally {
    context.depth -= 1;
  }
}

/**
 * Runs `fn` with the raw better-sqlite3 writer connection while holding the writer lock, outside any transaction
 * unless `fn` opens one. For bulk work that prepared raw statements do best (the seed, benchmarks) and for
 * libraries that write through the driver (the rate limiter's store). Not callable from inside a transaction.
 */
export async function withWriterClient<T>(fn: (client: Database.Database) => Promise<T> | T): Promise<T> {
  if (transactionContext.getStore()?.open) throw new Error("withWriterClient cannot run inside a writeTransaction");
  const release = await lockWriter();
  try {
    return await fn(connections().writer);
  } finally {
    release();
  }
}

/** The raw read-only connection, for raw SQL reads (EXPLAIN QUERY PLAN tests, pragmas, benchmarks). */
export function readerClient(): Database.Database {
  return connections().reader;
}

/** Opens (and migrates) the database now; the start-up path and tests call it to fail early. */
export function openDatabase(): void {
  connections();
}

/** Closes the process's connections (tests switch `DATA_DIR` between files). */
export function closeDb(): void {
  instance?.reader.close();
  instance?.writer.close();
  instance = null;
}

export { schema };
