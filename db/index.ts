import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { settings } from "@/lib/config";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

let instance: Db | null = null;

/** Path of the SQLite file inside `DATA_DIR`. */
export function databaseFile(): string {
  return path.join(settings().dataDir, "console.db");
}

/**
 * Opens a SQLite database with the pragmas every process of the console uses (WAL, foreign keys, 5 s busy
 * timeout) and applies the committed drizzle-kit migrations. Creates the folder and file when missing.
 */
export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: path.join(process.cwd(), "db", "migrations") });
  return db;
}

/** The one database client of this process, opened lazily (never at import: `next build` runs imports). */
export function getDb(): Db {
  if (!instance) instance = openDatabase(databaseFile());
  return instance;
}

/** Closes the process's client (tests switch `DATA_DIR` between files). */
export function closeDb(): void {
  instance?.$client.close();
  instance = null;
}

/**
 * Runs `fn` in a `BEGIN IMMEDIATE` transaction (takes the write lock up front, so a reader never fails to
 * upgrade with SQLITE_BUSY). `fn` is synchronous: do git, DNS and mail before or after.
 */
export function writeTransaction<T>(fn: (tx: Parameters<Parameters<Db["transaction"]>[0]>[0]) => T): T {
  return getDb().transaction(fn, { behavior: "immediate" });
}

export { schema };
