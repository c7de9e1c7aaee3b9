// `npm run seed -- --accounts N --domains M [--users U] [--password P] [--seed S] [--fresh] [--force]`: fills
// DATA_DIR (default ./data) with realistic data for benchmarks and demos (lib/seed): its SQLite database, or with
// DATABASE_URL set the PostgreSQL database it names (DATA_DIR then holds the repositories). Refuses a folder holding a
// database it did not make; `--fresh` replaces an earlier seed (with `--force`, any database). A PostgreSQL database
// must hold no users and no accounts: it is migrated and filled, never emptied.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { closeDb, dialect } from "@/db";
import { settings } from "@/lib/config";
import { seedDatabase } from "@/lib/seed/seed";
import { checkSeedDatabase, describePostgres, prepareSeedTarget, SEED_MARKER } from "@/lib/seed/target";

const USAGE = "usage: npm run seed -- --accounts N --domains M [--users U] [--password P] [--seed S] [--fresh] [--force]";

function count(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number (got ${value ?? "nothing"})\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const OPTIONS = {
  accounts: { type: "string" },
  domains: { type: "string" },
  users: { type: "string" },
  password: { type: "string" },
  seed: { type: "string" },
  fresh: { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** The command line, or the usage text and exit 2 on an unknown option or a missing value (`--domains -5`). */
function readArgs() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values } = readArgs();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const accounts = count("accounts", values.accounts, 10);
const domains = count("domains", values.domains, 1000);
const users = count("users", values.users, accounts * 3);
if (accounts < 1 || users < accounts) {
  console.error(`--accounts must be at least 1 and --users at least --accounts (one owner per account)\n${USAGE}`);
  process.exit(2);
}

const dataDir = settings().dataDir;
const postgres = dialect() === "postgres";
// The PostgreSQL database first: a refusal there must leave DATA_DIR as it was.
const database = await checkSeedDatabase();
if (!database.ok) {
  console.error(database.message);
  await closeDb();
  process.exit(1);
}
const target = prepareSeedTarget(dataDir, { fresh: values.fresh, force: values.force, postgres });
if (!target.ok) {
  console.error(target.message);
  await closeDb();
  process.exit(1);
}
if (target.removed.length) console.log(`removed from ${dataDir}: ${target.removed.join(", ")}`);
const where = postgres ? `${dataDir} and the PostgreSQL ${describePostgres(process.env.DATABASE_URL ?? "")}` : dataDir;
console.log(`seeding ${where}: ${accounts} accounts, ${domains} domains, ${users} users`);

const summary = await seedDatabase({
  accounts,
  domains,
  users,
  password: values.password,
  seed: count("seed", values.seed, 1),
  log: (line) => console.log(`  ${line}`),
});
await closeDb();
fs.writeFileSync(path.join(dataDir, SEED_MARKER), `${JSON.stringify({ ...summary, seededAt: new Date().toISOString() }, null, 2)}\n`);

const statuses = Object.entries(summary.byStatus)
  .map(([status, n]) => `${status} ${n}`)
  .join(", ");
console.log(`
seeded in ${(summary.ms / 1000).toFixed(1)} s:
  ${summary.users} users, ${summary.accounts} accounts, ${summary.memberships} memberships
  ${summary.applications} applications (${summary.repositories} repositories), ${summary.environments} environments
  ${summary.domains} domains (${statuses}; ${summary.flagged} flagged), ${summary.checks} checks
sign in as ${summary.ownerEmail} (owner of the first account; seed-owner-N@example.test owns account N,
seed-user-N@example.test are admins, developers and viewers) with the password: ${summary.password}
seeded hostnames are under .example and exist in no real DNS: run the console with DNS_SERVERS pointing at a test
server (npm run dns:dev) so background re-checks never query the system resolver.`);
