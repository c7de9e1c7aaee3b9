import path from "node:path";
import Database from "better-sqlite3";
import { E2E } from "./env";

/**
 * Opens the running console's SQLite file (WAL, busy timeout) for test set-up that has no UI yet, e.g. giving a
 * user a role in an account before the members page exists. Close it after use.
 */
export function openConsoleDb(): Database.Database {
  const db = new Database(path.join(E2E.dataDir, "console.db"));
  db.pragma("busy_timeout = 5000");
  return db;
}

/** Makes the user with `email` a member of the account with `role`. */
export function addMembership(email: string, accountId: number, role: string): void {
  const db = openConsoleDb();
  try {
    const user = db.prepare("select id from users where email = ?").get(email) as { id: number };
    db.prepare("insert into memberships (user_id, account_id, role) values (?, ?, ?)").run(user.id, accountId, role);
  } finally {
    db.close();
  }
}

/** Number of go-live checks stored for a hostname. */
export function countChecks(hostname: string): number {
  const db = openConsoleDb();
  try {
    const row = db
      .prepare("select count(*) as n from dns_checks c join domains d on d.id = c.domain_id where d.hostname = ?")
      .get(hostname) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
