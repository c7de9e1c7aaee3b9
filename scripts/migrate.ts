// `npm run migrate`: applies the committed migrations to the console's database and exits (docs/product.md §11). The
// console and the worker also migrate at start; this runs them ahead of a rolling deploy. On PostgreSQL they run
// under an advisory lock, so instances starting together wait for one another instead of racing.
import { closeDb, dialect, openDatabase } from "@/db";

const started = Date.now();
try {
  await openDatabase();
  await closeDb();
} catch (error) {
  console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
console.log(`migrate: ${dialect() === "postgres" ? "PostgreSQL" : "SQLite"} database is up to date (${Date.now() - started} ms)`);
