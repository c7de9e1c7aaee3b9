import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect } from "@/db";
import { rawReader } from "@/db/raw";
import { readBranchFile, repositoryPath } from "@/lib/applications/repository";
import { verifyPassword } from "@/lib/auth/password";
import { gitEnv } from "@/lib/git";
import { DOMAIN_STATUS_COUNTS_SQL } from "@/lib/ops/queries";
import { parseSectionConfig } from "@/lib/section-config/schema";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { seedDatabase, seedOwnerEmail, type SeedSummary } from "./seed";
import { checkSeedDatabase, describePostgres, prepareSeedTarget, SEED_MARKER } from "./target";

// Seeds a small data set into a temporary DATA_DIR (real repositories; a SQLite file, or a fresh PostgreSQL database
// under TEST_DATABASE=postgres) and checks it is what the console would have written itself.
let temp: { dir: string; cleanup: () => void };
let summary: SeedSummary;
const all = <T>(query: string, ...params: unknown[]) => rawReader().rows<T>(query, params);
const one = async <T>(query: string) => (await all<T>(query))[0];

beforeAll(async () => {
  temp = makeTempDataDir("ec-seed-");
  summary = await seedDatabase({ accounts: 3, domains: 240, users: 8, password: "demo-pass-1", seed: 7 });
}, 60_000);
afterAll(() => temp.cleanup());

describe("seedDatabase", () => {
  it("writes the counts it reports: users, accounts, owners, applications with environments, domains and checks", async () => {
    const count = async (table: string) => (await one<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).n;
    expect(summary).toMatchObject({ users: 8, accounts: 3, domains: 240 });
    expect(await count("users")).toBe(8);
    expect(await count("accounts")).toBe(3);
    expect(await count("memberships")).toBe(summary.memberships);
    expect(await count("applications")).toBe(summary.applications);
    expect(await count("environments")).toBe(summary.environments);
    expect(await count("domains")).toBe(240);
    expect(await count("dns_checks")).toBe(summary.checks);
    expect(summary.applications).toBeGreaterThanOrEqual(3 * 2); // 80 domains per account → 2 applications each
    // Every account has exactly one owner, seed-owner-N, who signs in with the printed password.
    const owners = await all<{ email: string; n: number }>(
      "SELECT min(u.email) AS email, count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.role = 'owner' GROUP BY m.account_id ORDER BY m.account_id",
    );
    expect(owners).toEqual([1, 2, 3].map((n) => ({ email: seedOwnerEmail(n), n: 1 })));
    const hash = (await one<{ h: string }>(`SELECT password_hash AS h FROM users WHERE email = '${seedOwnerEmail(1)}'`)).h;
    expect(await verifyPassword(hash, "demo-pass-1")).toBe(true);
  });

  it("keeps the per-status counts equal to count(*) per status, with a mix of every status and some flagged", async () => {
    const actual = Object.fromEntries(
      (await all<{ status: string; n: number }>("SELECT status, count(*) AS n FROM domains GROUP BY status")).map((r) => [r.status, r.n]),
    );
    const flagged = (await one<{ n: number }>("SELECT count(*) AS n FROM domains WHERE flagged = 1")).n;
    // domain_status_counts plus PostgreSQL's unfolded deltas (none: the seed folds them).
    const counters = Object.fromEntries(
      (await all<{ status: string; count: number }>(DOMAIN_STATUS_COUNTS_SQL)).map((r) => [r.status, Number(r.count)]),
    );
    const unfolded = (await one<{ n: number }>("SELECT count(*) AS n FROM domain_status_deltas")).n;
    expect(unfolded).toBe(0);
    for (const status of ["pending", "live", "misconfigured", "nxdomain", "error"]) {
      expect(actual[status], status).toBeGreaterThan(0);
      expect(counters[status], status).toBe(actual[status]);
    }
    expect(flagged).toBeGreaterThan(0);
    expect(counters.flagged).toBe(flagged);
    expect({ ...summary.byStatus, flagged: summary.flagged }).toEqual(counters);
  });

  it.skipIf(dialect() === "sqlite")(
    "PostgreSQL: leaves the database vacuumed and analyzed (no dead delta rows, statistics of the bulk tables)",
    async () => {
      const stats = await all<{ relname: string; vacuumed: boolean; analyzed: boolean }>(
        "SELECT relname, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables " +
          "WHERE relname IN ('domains', 'dns_checks', 'domain_status_deltas') ORDER BY relname",
      );
      expect(stats).toEqual(
        ["dns_checks", "domain_status_deltas", "domains"].map((relname) => ({ relname, vacuumed: true, analyzed: true })),
      );
      expect((await one<{ pages: number }>("SELECT pg_relation_size('domain_status_deltas') / 8192 AS pages")).pages).toBe(0);
    },
  );

  it("gives each checked domain a history whose last check holds its status, and pending ones none", async () => {
    const rows = await all<{
      status: string;
      flagged: number;
      n: number;
      last: string | null;
      lastAt: number | null;
      checkedAt: number | null;
    }>(
      `SELECT d.status, d.flagged, d.last_checked_at AS "lastAt",
              (SELECT count(*) FROM dns_checks c WHERE c.domain_id = d.id) AS n,
              (SELECT c.status FROM dns_checks c WHERE c.domain_id = d.id ORDER BY c.checked_at DESC LIMIT 1) AS last,
              (SELECT max(c.checked_at) FROM dns_checks c WHERE c.domain_id = d.id) AS "checkedAt"
         FROM domains d`,
    );
    for (const r of rows) {
      if (r.status === "pending") expect(r).toMatchObject({ n: 0, lastAt: null });
      else expect(r).toMatchObject({ last: r.status, lastAt: r.checkedAt });
      expect(r.n).toBeLessThanOrEqual(50);
    }
    // A flagged domain was live before.
    const wasLive = (
      await one<{ n: number }>(
        "SELECT count(*) AS n FROM domains d WHERE d.flagged = 1 AND NOT EXISTS (SELECT 1 FROM dns_checks c WHERE c.domain_id = d.id AND c.outcome = 'live')",
      )
    ).n;
    expect(wasLive).toBe(0);
  });

  it("gives every application a real repository: a valid section.config.json on Production, and on Staging when it has one", async () => {
    const apps = await all<{ id: number; repo_dir: string }>("SELECT id, repo_dir FROM applications ORDER BY id");
    const envs = await all<{ application_id: number; name: string }>("SELECT application_id, name FROM environments ORDER BY id");
    const envsOf = (id: number) => envs.filter((e) => Number(e.application_id) === Number(id)).map((e) => e.name);
    expect(envs.some((e) => e.name === "Staging")).toBe(true);
    const dirs = new Set<string>();
    for (const app of apps) {
      dirs.add(app.repo_dir);
      expect(envsOf(app.id), `${app.id}`).toContain("Production");
      for (const env of envsOf(app.id)) {
        const text = await readBranchFile({ repoDir: app.repo_dir }, env, "section.config.json");
        expect(text, `${app.id} ${env}`).not.toBeNull();
        expect(parseSectionConfig(text!, { environment: env }).ok, `${app.id} ${env}`).toBe(true);
      }
    }
    expect(dirs.size).toBe(apps.length);
    // A copied repository (the last application was not made first for its stack) is a whole repository.
    const last = apps[apps.length - 1];
    const log = execFileSync("git", ["--git-dir", repositoryPath({ repoDir: last.repo_dir }), "log", "--format=%s", "Production"], {
      env: gitEnv(),
      encoding: "utf8",
    });
    expect(log).toContain("initial section.config.json");
  });
});

describe("prepareSeedTarget", () => {
  it("accepts an empty folder, refuses a console database it did not make, and replaces an earlier seed only with --fresh", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-seed-target-"));
    try {
      expect(prepareSeedTarget(dir, { fresh: false, force: false })).toEqual({ ok: true, removed: [] });
      fs.writeFileSync(path.join(dir, "console.db"), "");
      fs.mkdirSync(path.join(dir, "repositories"));
      expect(prepareSeedTarget(dir, { fresh: false, force: false })).toMatchObject({ ok: false });
      expect(prepareSeedTarget(dir, { fresh: true, force: false })).toMatchObject({ ok: false });
      expect(fs.existsSync(path.join(dir, "console.db"))).toBe(true);
      fs.writeFileSync(path.join(dir, SEED_MARKER), "{}");
      expect(prepareSeedTarget(dir, { fresh: false, force: false })).toMatchObject({
        ok: false,
        message: expect.stringContaining("--fresh"),
      });
      expect(prepareSeedTarget(dir, { fresh: true, force: false })).toEqual({
        ok: true,
        removed: ["console.db", "repositories", SEED_MARKER],
      });
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on PostgreSQL, takes the folder's repositories or seed marker for its database", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-seed-target-"));
    try {
      const flags = { fresh: false, force: false, postgres: true };
      fs.writeFileSync(path.join(dir, "unrelated.txt"), "");
      expect(prepareSeedTarget(dir, flags)).toEqual({ ok: true, removed: [] });
      fs.mkdirSync(path.join(dir, "repositories"));
      expect(prepareSeedTarget(dir, flags)).toMatchObject({ ok: false, message: expect.stringContaining("--fresh --force") });
      expect(prepareSeedTarget(dir, { ...flags, fresh: true })).toMatchObject({ ok: false });
      fs.writeFileSync(path.join(dir, SEED_MARKER), "{}");
      expect(prepareSeedTarget(dir, flags)).toMatchObject({ ok: false, message: expect.stringContaining("--fresh") });
      expect(prepareSeedTarget(dir, { ...flags, fresh: true })).toEqual({ ok: true, removed: ["repositories", SEED_MARKER] });
      expect(fs.readdirSync(dir)).toEqual(["unrelated.txt"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("checkSeedDatabase", () => {
  it("refuses a PostgreSQL database holding users or accounts (the seeded one), and leaves SQLite to prepareSeedTarget", async () => {
    const result = await checkSeedDatabase();
    if (dialect() === "postgres") {
      expect(result).toMatchObject({ ok: false, message: expect.stringContaining("8 users and 3 accounts") });
    } else expect(result).toEqual({ ok: true });
    expect(describePostgres("postgres://app:secret@db.internal:5433/console")).toBe('database "console" on db.internal:5433');
  });
});
