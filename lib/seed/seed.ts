import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { readerClient, withWriterClient } from "@/db";
import { createApplication } from "@/lib/applications/create";
import { newRepositoryDirName, repositoryPath } from "@/lib/applications/repository";
import { hashPassword } from "@/lib/auth/password";
import { repositoriesDir, settings } from "@/lib/config";
import { createEnvironment } from "@/lib/environments/create";
import { PRODUCTION_BRANCH, runGit } from "@/lib/git";
import { chainPolicy } from "@/edge/modules";
import { STACKS } from "@/lib/stacks/catalog";
import { seededRandom } from "./history";
import { hostnameOf, insertDomains } from "./insert-domains";
import { planAccounts, type AppPlan } from "./plan";

// `npm run seed`: fills an empty DATA_DIR with realistic data for benchmarks and demos. Users, accounts and
// memberships are inserted in one transaction; for each (stack, with/without Staging) the first application is made
// the normal way (createApplication, createEnvironment: a real repository and its rows), and the others get a copy
// of that repository (a real bare repository with the same branches) and rows written in bulk; then every domain
// with a made-up but consistent check history (lib/seed/history, lib/seed/insert-domains) in transactions of 5,000
// domains through prepared statements. domain_status_counts follows by its triggers.

/** What to seed. `domains` is the total across all accounts. */
export type SeedOptions = {
  accounts: number;
  domains: number;
  /** Users in all (default 3 per account); the first `accounts` are the owners. At least `accounts`. */
  users?: number;
  /** Password of every seeded user (default `seed-password`). */
  password?: string;
  /** Seed of the pseudo-random choices (default 1): the same seed gives the same data set. */
  seed?: number;
  /** "Now" of the histories (default: the current time). */
  now?: Date;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
};

/** Counts of what was written and how long it took (ms). */
export type SeedSummary = {
  users: number;
  accounts: number;
  memberships: number;
  applications: number;
  environments: number;
  repositories: number;
  domains: number;
  checks: number;
  byStatus: Record<string, number>;
  flagged: number;
  ownerEmail: string;
  password: string;
  ms: number;
};

const DAY = 86_400_000;

/** The email of the owner of seeded account `n` (1-based). */
export function seedOwnerEmail(n: number): string {
  return `seed-owner-${n}@example.test`;
}

/**
 * Seeds the database and repositories of the current `DATA_DIR` (which should be empty: hostnames are unique, so a
 * second run into the same folder fails on the first hostname). Throws on bad counts (accounts ≥ 1, domains ≥ 0,
 * users ≥ accounts) and on database or git errors. Returns the summary.
 */
export async function seedDatabase(options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const print = options.log ?? (() => {});
  const log = (line: string) => print(`${line} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const accountCount = Math.floor(options.accounts);
  const domainCount = Math.floor(options.domains);
  const userCount = Math.floor(options.users ?? accountCount * 3);
  if (!(accountCount >= 1)) throw new RangeError("seed: --accounts must be at least 1");
  if (!(domainCount >= 0)) throw new RangeError("seed: --domains must be 0 or more");
  if (!(userCount >= accountCount)) throw new RangeError("seed: --users must be at least --accounts (one owner each)");
  const password = options.password ?? "seed-password";
  const random = seededRandom(options.seed ?? 1);
  const now = (options.now ?? new Date()).getTime();

  // 1. People: users, accounts, memberships (one transaction).
  const passwordHash = await hashPassword(password);
  // Stacks this console may serve: code modules only with EDGE_ALLOW_CODE_MODULES (docs/product.md §8).
  const stacks = STACKS.filter(
    (s) =>
      !chainPolicy(
        s.proxychain.map((m) => m.name),
        settings().allowCodeModules,
      ),
  ).map((s) => s.id);
  const plan = planAccounts({ accounts: accountCount, domains: domainCount, random, stacks });
  const people = await withWriterClient((sqlite) => insertPeople(sqlite, { plan, userCount, passwordHash, now, random }));
  log(`users ${userCount}, accounts ${accountCount}, memberships ${people.memberships}`);

  // 2. Applications: the first of each (stack, Staging or not) made the normal way, the others copied.
  const templates = new Map<string, string>();
  const templateDir = path.join(path.dirname(repositoriesDir()), `.seed-templates-${process.pid}`);
  fs.mkdirSync(templateDir, { recursive: true });
  const apps: { plan: AppPlan; id: number; productionId: number; stagingId: number | null; existing: Map<string, number> }[] = [];
  const copies: { plan: AppPlan; repoDir: string }[] = [];
  try {
    for (const account of plan) {
      for (const app of account.apps) {
        const key = `${app.stackId}${app.staging.length ? "+staging" : ""}`;
        const template = templates.get(key);
        if (template) {
          const repoDir = newRepositoryDirName();
          fs.cpSync(template, path.join(repositoriesDir(), repoDir), { recursive: true });
          copies.push({ plan: app, repoDir });
          continue;
        }
        const made = await createNormally(app, people.ownerIds[account.index], templateDir, templates);
        apps.push({ plan: app, ...made });
      }
    }
  } finally {
    fs.rmSync(templateDir, { recursive: true, force: true });
  }
  const madeNormally = apps.length;
  apps.push(...(await withWriterClient((sqlite) => insertCopiedApplications(sqlite, { copies, ownerIds: people.ownerIds, now, random }))));
  log(`applications ${apps.length} (${madeNormally} made by createApplication, ${copies.length} with a copied repository)`);

  // 3. Domains with their check histories, DOMAIN_BATCH per transaction.
  const counts = await withWriterClient((sqlite) => insertDomains(sqlite, { apps, now, random, log }));
  log(`domains ${counts.domains}, checks ${counts.checks}`);
  const byStatus = Object.fromEntries(
    (readerClient().prepare("SELECT status, count FROM domain_status_counts").all() as { status: string; count: number }[]).map((r) => [
      r.status,
      r.count,
    ]),
  );
  const flagged = byStatus.flagged ?? 0;
  delete byStatus.flagged;
  return {
    users: userCount,
    accounts: accountCount,
    memberships: people.memberships,
    applications: apps.length,
    environments: apps.length + apps.filter((a) => a.stagingId !== null).length,
    repositories: apps.length,
    domains: counts.domains,
    checks: counts.checks,
    byStatus,
    flagged,
    ownerEmail: seedOwnerEmail(1),
    password,
    ms: Math.round(performance.now() - started),
  };
}

/** A raw better-sqlite3 connection (the writer of `withWriterClient`). */
export type Sqlite = Database.Database;

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus", "Margaret", "Dennis", "Frances", "John"];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Thompson",
  "Perlman",
  "Torvalds",
  "Hamilton",
  "Ritchie",
  "Allen",
  "McCarthy",
];

function insertPeople(
  sqlite: Sqlite,
  p: { plan: ReturnType<typeof planAccounts>; userCount: number; passwordHash: string; now: number; random: () => number },
) {
  const insertUser = sqlite.prepare(
    "INSERT INTO users (email, name, password_hash, email_verified_at, last_account_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const insertAccount = sqlite.prepare("INSERT INTO accounts (name, created_at) VALUES (?, ?)");
  const insertMember = sqlite.prepare("INSERT INTO memberships (user_id, account_id, role, created_at) VALUES (?, ?, ?, ?)");
  const accountCount = p.plan.length;
  const roles = ["admin", "developer", "viewer"] as const;
  let memberships = 0;
  const ownerIds: number[] = [];
  sqlite.transaction(() => {
    const accountIds = p.plan.map((a) => {
      const created = p.now - 180 * DAY + Math.round(p.random() * 30 * DAY);
      return Number(insertAccount.run(a.name, created).lastInsertRowid);
    });
    p.plan.forEach((a, i) => (a.id = accountIds[i]));
    for (let u = 0; u < p.userCount; u++) {
      const owner = u < accountCount;
      const n = owner ? u + 1 : u - accountCount + 1;
      const email = owner ? seedOwnerEmail(n) : `seed-user-${n}@example.test`;
      const name = `${FIRST[u % FIRST.length]} ${LAST[Math.floor(u / FIRST.length) % LAST.length]}`;
      const accountIndex = owner ? u : (u - accountCount) % accountCount;
      const created = p.now - 150 * DAY + Math.round(p.random() * 60 * DAY);
      const id = Number(insertUser.run(email, name, p.passwordHash, created, accountIds[accountIndex], created).lastInsertRowid);
      if (owner) {
        ownerIds.push(id);
        insertMember.run(id, accountIds[accountIndex], "owner", created);
      } else {
        const k = u - accountCount;
        insertMember.run(id, accountIds[accountIndex], roles[Math.floor(k / accountCount) % 3], created);
        // Every fourth also sees the next account, as a viewer.
        if (accountCount > 1 && k % 4 === 0) {
          insertMember.run(id, accountIds[(accountIndex + 1) % accountCount], "viewer", created);
          memberships++;
        }
      }
      memberships++;
    }
  })();
  return { ownerIds, memberships };
}

/**
 * Makes `app` like the wizard does (createApplication, then createEnvironment for Staging), and keeps copies of its
 * repository as the templates of its stack: `<stack>` before Staging exists and `<stack>+staging` after.
 */
async function createNormally(app: AppPlan, ownerId: number, templateDir: string, templates: Map<string, string>) {
  const actor = { id: ownerId, name: "Seed", email: "seed@example.test" };
  const stackIndex = STACKS.findIndex((s) => s.id === app.stackId);
  const created = await createApplication({
    actor,
    account: { id: app.accountId() },
    hostname: hostnameOf(app.production[0].name),
    origin: { address: `203.0.113.${10 + stackIndex}`, protocol: "https", port: 443 },
    stackId: app.stackId,
    ownershipRequired: false,
  });
  if (!created.ok) throw new Error(`seed: createApplication(${app.production[0].name}): ${created.message}`);
  if (!created.domain) throw new Error(`seed: ${app.production[0].name} is held by another account (a claim was made)`);
  const repo = repositoryPath(created.application);
  // Packed (one pack file instead of a folder per object), so each copy is a handful of files.
  const keep = async (key: string) => {
    if (templates.has(key)) return;
    const to = path.join(templateDir, `${key}.git`);
    fs.cpSync(repo, to, { recursive: true });
    await runGit(["repack", "-a", "-d", "-q"], { gitDir: to });
    templates.set(key, to);
  };
  await keep(app.stackId);
  const existing = new Map([[app.production[0].name, created.domain.id]]);
  let stagingId: number | null = null;
  if (app.staging.length) {
    const env = await createEnvironment({
      application: created.application,
      actor,
      name: "Staging",
      source: PRODUCTION_BRANCH,
      hostname: hostnameOf(app.staging[0].name),
      ownershipRequired: false,
    });
    if (!env.ok) throw new Error(`seed: createEnvironment(${app.staging[0].name}): ${env.message}`);
    if (!env.domain) throw new Error(`seed: ${app.staging[0].name} is held by another account (a claim was made)`);
    stagingId = env.environment.id;
    existing.set(app.staging[0].name, env.domain.id);
    await keep(`${app.stackId}+staging`);
  }
  return { id: created.application.id, productionId: created.environment.id, stagingId, existing };
}

function insertCopiedApplications(
  sqlite: Sqlite,
  p: { copies: { plan: AppPlan; repoDir: string }[]; ownerIds: number[]; now: number; random: () => number },
) {
  const insertApp = sqlite.prepare(
    "INSERT INTO applications (account_id, name, repo_name, repo_dir, stack_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const insertEnv = sqlite.prepare("INSERT INTO environments (account_id, application_id, name, created_at) VALUES (?, ?, ?, ?)");
  const insertAudit = sqlite.prepare(
    "INSERT INTO audit_events (account_id, actor_user_id, actor_name, action, target_type, target_id, target_label, data, created_at) VALUES (?, ?, 'Seed', ?, ?, ?, ?, ?, ?)",
  );
  return sqlite.transaction(() =>
    p.copies.map(({ plan: app, repoDir }) => {
      const accountId = app.accountId();
      const owner = p.ownerIds[app.accountIndex];
      const created = p.now - 120 * DAY + Math.round(p.random() * 30 * DAY);
      const host = hostnameOf(app.production[0].name);
      const id = Number(insertApp.run(accountId, host.unicode, host.hostname, repoDir, app.stackId, owner, created).lastInsertRowid);
      const productionId = Number(insertEnv.run(accountId, id, PRODUCTION_BRANCH, created).lastInsertRowid);
      const data = JSON.stringify({ hostname: host.hostname, environment: PRODUCTION_BRANCH, stackId: app.stackId, seeded: true });
      insertAudit.run(accountId, owner, "application.create", "application", id, host.unicode, data, created);
      let stagingId: number | null = null;
      if (app.staging.length) {
        stagingId = Number(insertEnv.run(accountId, id, "Staging", created + DAY).lastInsertRowid);
        insertAudit.run(
          accountId,
          owner,
          "environment.create",
          "environment",
          stagingId,
          "Staging",
          JSON.stringify({ applicationId: id, source: PRODUCTION_BRANCH, seeded: true }),
          created + DAY,
        );
      }
      return { plan: app, id, productionId, stagingId, existing: new Map<string, number>() };
    }),
  )();
}
