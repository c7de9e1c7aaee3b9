import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resetSettings } from "@/lib/config";
import { closeDb, openDatabase } from "@/db";
import { TEMPLATE_DATABASE } from "./postgres-global-setup";

let databases = 0;

/**
 * Under `TEST_DATABASE=postgres` (TEST_POSTGRES_URL set by lib/testing/postgres-global-setup): a fresh database
 * copied from the migrated template, created synchronously with `psql` so that callers stay synchronous. Returns its
 * URL and a function that drops it (`WITH (FORCE)`: the pool is ended without waiting).
 */
function freshPostgresDatabase(admin: string): { url: string; drop: () => void } {
  const name = `t_${process.pid}_${++databases}_${Date.now().toString(36)}`;
  const psql = (statement: string) => execFileSync("psql", [admin, "-v", "ON_ERROR_STOP=1", "-qc", statement], { stdio: "pipe" });
  psql(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Points `DATA_DIR` at a fresh temporary folder and opens a migrated database for it: a SQLite file there, or, in the
 * suite's PostgreSQL run, a fresh PostgreSQL database (`DATABASE_URL` is pointed at it).
 * Returns the folder and a cleanup function that closes the database and removes the folder (and drops the database).
 */
export function makeTempDataDir(prefix = "ec-test-"): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.env.DATA_DIR = dir;
  const admin = process.env.TEST_POSTGRES_URL;
  const database = admin ? freshPostgresDatabase(admin) : null;
  if (database) process.env.DATABASE_URL = database.url;
  resetSettings();
  void closeDb();
  // SQLite: opens and migrates the new file now (synchronously). PostgreSQL: the copy of the template is migrated
  // already, and the pool opens on the first query (a migration check left running here could outlive the database).
  if (!database) void openDatabase();
  return {
    dir,
    cleanup: () => {
      void closeDb();
      database?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
