import fs from "node:fs";
import path from "node:path";
import { dialect, openDatabase, pgPool } from "@/db";
import { rawReader, rawWriteTransaction } from "@/db/raw";
import { createApplication } from "@/lib/applications/create";
import { newRepositoryDirName, repositoryPath } from "@/lib/applications/repository";
import { hashPassword } from "@/lib/auth/password";
import { repositoriesDir, settings } from "@/lib/config";
import { createEnvironment } from "@/lib/environments/create";
import { PRODUCTION_BRANCH, runGit } from "@/lib/git";
import { chainPolicy } from "@/edge/modules";
import { DOMAIN_STATUS_COUNTS_SQL, foldDomainStatusDeltas } from "@/lib/ops/queries";
import { STACKS } from "@/lib/stacks/catalog";
import { insertRows } from "./bulk";
import { seededRandom } from "./history";
import { hostnameOf, insertDomains, type SeededApp } from "./insert-domains";
import { planAccounts, type AppPlan } from "./plan";

// `npm run seed`: fills an empty DATA_DIR with realistic data for benchmarks and demos. Users, accounts and
// memberships are inserted in one transaction; for each (stack, with/without Staging) the first application is made
// the normal way (createApplication, createEnvironment: a real repository and its rows), and the others get a copy
// of that repository (a real bare repository with the same branches) and rows written in bulk; then every domain
// with a made-up but consistent check history (lib/seed/history, lib/seed/insert-domains) in transactions of 5,000
// domains through multi-row inserts (lib/seed/bulk). The same SQL runs on SQLite and on PostgreSQL (db/raw.ts).
// domain_status_counts follows by its triggers (on PostgreSQL through domain_status_deltas, folded at the end).

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
 * Seeds the database (SQLite in `DATA_DIR`, or PostgreSQL with `DATABASE_URL`; migrated first) and the repositories
 * of the current `DATA_DIR`, which should both be empty (emails and hostnames are unique, so a second run into the
 * same database fails on the first user). Throws on bad counts (accounts ≥ 1, domains ≥ 0, users ≥ accounts) and on
 * database or git errors. Returns the summary.
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
  await openDatabase();

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
  const people = await insertPeople({ plan, userCount, passwordHash, now, random });
  log(`users ${userCount}, accounts ${accountCount}, memberships ${people.memberships}`);

  // 2. Applications: the first of each (stack, Staging or not) made the normal way, the others copied.
  const templates = new Map<string, string>();
  const templateDir = path.join(path.dirname(repositoriesDir()), `.seed-templates-${process.pid}`);
  fs.mkdirSync(templateDir, { recursive: true });
  const apps: SeededApp[] = [];
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
  apps.push(...(await insertCopiedApplications({ copies, ownerIds: people.ownerIds, now, random })));
  log(`applications ${apps.length} (${madeNormally} made by createApplication, ${copies.length} with a copied repository)`);

  // 3. Domains with their check histories, DOMAIN_BATCH per transaction.
  const counts = await insertDomains({ apps, now, random, log });
  log(`domains ${counts.domains}, checks ${counts.checks}`);
  // PostgreSQL: fold the deltas the triggers appended (one per domain and per flag) as the leader would, then vacuum
  // and analyze what the bulk inserts and the fold left (dead delta rows, tables without statistics), so the seeded
  // database starts in the steady state /ops reads instead of autovacuum catching up during a benchmark.
  if (dialect() === "postgres") {
    await foldDomainStatusDeltas();
    await pgPool().query("VACUUM (ANALYZE)");
  }
  const byStatus = Object.fromEntries(
    (await rawReader().rows<{ status: string; count: number }>(DOMAIN_STATUS_COUNTS_SQL)).map((r) => [r.status, Number(r.count)]),
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

/** Looks up `key` in the rows a `RETURNING id, <key>` gave back; throws when the statement did not return it. */
function idsBy<K extends string>(rows: ({ id: number } & Record<K, unknown>)[], key: K): (value: unknown) => number {
  const ids = new Map(rows.map((r) => [String(r[key]), Number(r.id)]));
  return (value) => {
    const id = ids.get(String(value));
    if (id === undefined) throw new Error(`seed: no id came back for ${key} ${String(value)}`);
    return id;
  };
}

/**
 * Inserts the accounts of `plan` (setting their ids), `userCount` users (the first `plan.length` are the owners) and
 * their memberships in one transaction. Every random draw happens before it opens.
 */
async function insertPeople(p: {
  plan: ReturnType<typeof planAccounts>;
  userCount: number;
  passwordHash: string;
  now: number;
  random: () => number;
}) {
  const accountCount = p.plan.length;
  const roles = ["admin", "developer", "viewer"] as const;
  const accountRows = p.plan.map((a) => [a.name, p.now - 180 * DAY + Math.round(p.random() * 30 * DAY)]);
  const users = Array.from({ length: p.userCount }, (_, u) => {
    const owner = u < accountCount;
    const n = owner ? u + 1 : u - accountCount + 1;
    return {
      u,
      owner,
      email: owner ? seedOwnerEmail(n) : `seed-user-${n}@example.test`,
      name: `${FIRST[u % FIRST.length]} ${LAST[Math.floor(u / FIRST.length) % LAST.length]}`,
      accountIndex: owner ? u : (u - accountCount) % accountCount,
      created: p.now - 150 * DAY + Math.round(p.random() * 60 * DAY),
    };
  });
  return rawWriteTransaction(async (q) => {
    const accountId = idsBy(
      await insertRows<{ id: number; name: string }>(q, "accounts", ["name", "created_at"], accountRows, "id, name"),
      "name",
    );
    const accountIds = p.plan.map((a) => accountId(a.name));
    p.plan.forEach((a, i) => (a.id = accountIds[i]));
    const userId = idsBy(
      await insertRows<{ id: number; email: string }>(
        q,
        "users",
        ["email", "name", "password_hash", "email_verified_at", "last_account_id", "created_at"],
        users.map((user) => [user.email, user.name, p.passwordHash, user.created, accountIds[user.accountIndex], user.created]),
        "id, email",
      ),
      "email",
    );
    const ownerIds: number[] = [];
    const members: unknown[][] = [];
    for (const user of users) {
      const id = userId(user.email);
      if (user.owner) {
        ownerIds.push(id);
        members.push([id, accountIds[user.accountIndex], "owner", user.created]);
      } else {
        const k = user.u - accountCount;
        members.push([id, accountIds[user.accountIndex], roles[Math.floor(k / accountCount) % 3], user.created]);
        // Every fourth also sees the next account, as a viewer.
        if (accountCount > 1 && k % 4 === 0) members.push([id, accountIds[(user.accountIndex + 1) % accountCount], "viewer", user.created]);
      }
    }
    await insertRows(q, "memberships", ["user_id", "account_id", "role", "created_at"], members);
    return { ownerIds, memberships: members.length };
  });
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

/**
 * Inserts the rows of the applications whose repository was copied (the application, its Production and, when
 * planned, Staging environments, and the audit events creation writes) in one transaction, in the order the wizard
 * would have written them. Every random draw happens before it opens.
 */
async function insertCopiedApplications(p: {
  copies: { plan: AppPlan; repoDir: string }[];
  ownerIds: number[];
  now: number;
  random: () => number;
}): Promise<SeededApp[]> {
  const copies = p.copies.map(({ plan: app, repoDir }) => ({
    app,
    repoDir,
    accountId: app.accountId(),
    owner: p.ownerIds[app.accountIndex],
    created: p.now - 120 * DAY + Math.round(p.random() * 30 * DAY),
    host: hostnameOf(app.production[0].name),
  }));
  return rawWriteTransaction(async (q) => {
    const appId = idsBy(
      await insertRows<{ id: number; repo_dir: string }>(
        q,
        "applications",
        ["account_id", "name", "repo_name", "repo_dir", "stack_id", "created_by", "created_at"],
        copies.map((c) => [c.accountId, c.host.unicode, c.host.hostname, c.repoDir, c.app.stackId, c.owner, c.created]),
        "id, repo_dir",
      ),
      "repo_dir",
    );
    const ids = copies.map((c) => appId(c.repoDir));
    const envRows = copies.flatMap((c, i) => [
      [c.accountId, ids[i], PRODUCTION_BRANCH, c.created],
      ...(c.app.staging.length ? [[c.accountId, ids[i], "Staging", c.created + DAY]] : []),
    ]);
    const envs = await insertRows<{ id: number; application_id: number; name: string }>(
      q,
      "environments",
      ["account_id", "application_id", "name", "created_at"],
      envRows,
      "id, application_id, name",
    );
    const envId = idsBy(
      envs.map((e) => ({ id: e.id, key: `${Number(e.application_id)}/${e.name}` })),
      "key",
    );
    const audits: unknown[][] = [];
    const seeded = copies.map((c, i) => {
      const id = ids[i];
      audits.push([
        c.accountId,
        c.owner,
        "Seed",
        "application.create",
        "application",
        id,
        c.host.unicode,
        JSON.stringify({ hostname: c.host.hostname, environment: PRODUCTION_BRANCH, stackId: c.app.stackId, seeded: true }),
        c.created,
      ]);
      let stagingId: number | null = null;
      if (c.app.staging.length) {
        stagingId = envId(`${id}/Staging`);
        audits.push([
          c.accountId,
          c.owner,
          "Seed",
          "environment.create",
          "environment",
          stagingId,
          "Staging",
          JSON.stringify({ applicationId: id, source: PRODUCTION_BRANCH, seeded: true }),
          c.created + DAY,
        ]);
      }
      return { plan: c.app, id, productionId: envId(`${id}/${PRODUCTION_BRANCH}`), stagingId, existing: new Map<string, number>() };
    });
    // `data` is JSON text: SQLite stores it as is, PostgreSQL parses it into the jsonb column.
    await insertRows(
      q,
      "audit_events",
      ["account_id", "actor_user_id", "actor_name", "action", "target_type", "target_id", "target_label", "data", "created_at"],
      audits,
    );
    return seeded;
  });
}
