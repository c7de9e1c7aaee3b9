// `npm run db:copy -- --to postgres://user@host/db`: moves a stopped SQLite console (DATA_DIR) to an empty PostgreSQL
// database (docs/architecture.md "Moving to PostgreSQL"). Run it with AUTH_SECRET set to the secret the PostgreSQL
// console will use; it refuses when that secret would not open the console's encrypted TOTP secrets and keys.
import { dataDirectory } from "@/db/location";
import { CopyRefused, copySqliteToPostgres } from "@/lib/maintenance/db-copy";

const at = process.argv.indexOf("--to");
const to = at >= 0 ? process.argv[at + 1] : undefined;
if (!to || !/^postgres(ql)?:\/\//.test(to)) {
  console.error("Usage: npm run db:copy -- --to postgres://user@host:5432/database   (with AUTH_SECRET set)");
  process.exit(2);
}
if (process.env.DATABASE_URL) {
  console.error("db:copy reads the SQLite console in DATA_DIR: unset DATABASE_URL and name the target with --to.");
  process.exit(2);
}
try {
  const report = await copySqliteToPostgres(dataDirectory(), to);
  for (const { table, rows } of report.tables) console.log(`${table.padEnd(28)} ${rows.toLocaleString("en").padStart(12)} rows`);
  console.log(`db:copy: ${report.tables.length} tables copied and counted in ${(report.ms / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`db:copy: ${error instanceof CopyRefused ? error.message : error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
}
