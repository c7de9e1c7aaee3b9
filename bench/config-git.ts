import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { writeTransaction, one } from "@/db";
import { accounts, memberships, users } from "@/db/schema";
import { createApplication, repositoryPath } from "@/lib/applications/create";
import { resetSettings } from "@/lib/config";
import { createEnvironment } from "@/lib/environments/create";
import { saveFile } from "@/lib/environments/edit";
import { promoteEnvironment } from "@/lib/environments/promote";
import { resolveBranch } from "@/lib/git/refs";
import { gitEnv } from "@/lib/git/run";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { percentile } from "./stats";

/**
 * One measured operation. `console`: the product path (lib/environments: stale check, validation, commit-tree,
 * compare-and-swap, audit row in SQLite); `floor`: the plainest git commands doing the same git work, run
 * sequentially with execFileSync — no validation, no database, no stale check.
 */
export type ConfigGitBenchRow = {
  operation: "config commit" | "promote";
  kind: "console" | "floor";
  /** Commits reachable from Production when the measurement started. */
  historyCommits: number;
  n: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
};

const round = (n: number) => Math.round(n * 100) / 100;

function summarise(
  operation: ConfigGitBenchRow["operation"],
  kind: ConfigGitBenchRow["kind"],
  historyCommits: number,
  times: number[],
): ConfigGitBenchRow {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    operation,
    kind,
    historyCommits,
    n: times.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/** Appends `count` commits to `branch` in one git-fast-import(1) run (each rewrites CHANGELOG), for a long history. */
function growHistory(repo: string, branch: string, count: number): void {
  const parts: string[] = [];
  for (let i = 1; i <= count; i++) {
    const data = `change ${i}\n`;
    const message = `History filler ${i}\n`;
    parts.push(
      `commit refs/heads/${branch}\ncommitter Bench <bench@example.com> ${1_700_000_000 + i} +0000\n`,
      `data ${Buffer.byteLength(message)}\n${message}`,
      i === 1 ? `from refs/heads/${branch}^0\n` : "",
      `M 100644 inline CHANGELOG\ndata ${Buffer.byteLength(data)}\n${data}\n`,
    );
  }
  execFileSync("git", ["fast-import", "--quiet"], { env: gitEnv({ GIT_DIR: repo }), input: parts.join("") });
}

const setPort = (text: string, env: string, port: number) => {
  const value = JSON.parse(text);
  value.environments[env].origin.port = port;
  return `${JSON.stringify(value, null, 2)}\n`;
};

/**
 * Benchmarks config commits and promotions in a repository whose Production has `history` (default 1,000)
 * commits: `n` (default 50) browser saves of `section.config.json` on Staging, and `n` promotions of Staging into
 * Production (each after one unmeasured Staging save), each beside its floor. Temporary DATA_DIR, real git.
 */
export async function benchConfigGit(options: { history?: number; n?: number } = {}): Promise<ConfigGitBenchRow[]> {
  const history = options.history ?? 1000;
  const n = options.n ?? 50;
  const savedDataDir = process.env.DATA_DIR;
  const temp = makeTempDataDir("ec-bench-config-");
  const rows: ConfigGitBenchRow[] = [];
  try {
    const { user, account } = await writeTransaction(async (db) => {
      const user = await one(db.insert(users).values({ email: "bench@example.com", name: "Bench", passwordHash: "x" }).returning());
      const account = await one(db.insert(accounts).values({ name: "Bench" }).returning());
      await db.insert(memberships).values({ userId: user.id, accountId: account.id, role: "owner" });
      return { user, account };
    });
    const actor = { id: user.id, name: "Bench", email: user.email };
    const created = await createApplication({
      actor,
      account: { id: account.id },
      hostname: { hostname: "www.bench.example", unicode: "www.bench.example", isApex: false },
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "varnish",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    const app = created.application;
    const repo = repositoryPath(app);
    growHistory(repo, "Production", history - 1);
    const staged = await createEnvironment({
      application: app,
      actor,
      name: "Staging",
      source: "Production",
      hostname: { hostname: "staging.bench.example", unicode: "staging.bench.example", isApex: false },
      ownershipRequired: false,
    });
    if (!staged.ok) throw new Error(staged.message);
    const staging = staged.environment;
    const git = (args: string[], input = "", extra: Record<string, string> = {}) =>
      execFileSync("git", args, { env: gitEnv({ GIT_DIR: repo, ...extra }), input, encoding: "utf8" }).trim();
    const count = () => Number(git(["rev-list", "--count", "refs/heads/Production"]));
    let port = 1000;
    const saveOnStaging = async () => {
      const head = (await resolveBranch(repo, "Staging"))!;
      const text = git(["cat-file", "blob", `${head}:section.config.json`]);
      const t0 = performance.now();
      const result = await saveFile({
        application: app,
        environment: staging,
        actor,
        path: "section.config.json",
        content: setPort(text, "Staging", ++port),
        baseCommit: head,
        message: `port ${port}`,
      });
      const ms = performance.now() - t0;
      if (!result.ok) throw new Error(`save failed: ${result.message}`);
      return ms;
    };

    // Config commit: console vs floor (same git work: blob, private index, tree, commit, compare-and-swap).
    const startCount = count();
    const commitTimes: number[] = [];
    for (let i = 0; i < n; i++) commitTimes.push(await saveOnStaging());
    rows.push(summarise("config commit", "console", startCount, commitTimes));

    const scratch = fs.mkdtempSync(path.join(temp.dir, "floor-"));
    const identity = {
      GIT_AUTHOR_NAME: "Bench",
      GIT_AUTHOR_EMAIL: "bench@example.com",
      GIT_COMMITTER_NAME: "Bench",
      GIT_COMMITTER_EMAIL: "bench@example.com",
    };
    const floorTimes: number[] = [];
    for (let i = 0; i < n; i++) {
      const head = git(["rev-parse", "refs/heads/Staging"]);
      const text = setPort(git(["cat-file", "blob", `${head}:section.config.json`]), "Staging", ++port);
      const index = { GIT_INDEX_FILE: path.join(scratch, `index-${i}`) };
      const t0 = performance.now();
      const blob = git(["hash-object", "-w", "--stdin"], text);
      git(["read-tree", head], "", index);
      git(["update-index", "--cacheinfo", `100644,${blob},section.config.json`], "", index);
      const tree = git(["write-tree"], "", index);
      const commit = git(["commit-tree", tree, "-p", head], `port ${port}\n`, identity);
      git(["update-ref", "refs/heads/Staging", commit, head]);
      floorTimes.push(performance.now() - t0);
    }
    rows.push(summarise("config commit", "floor", startCount, floorTimes));

    // Promote: each round one unmeasured Staging save, then the measured merge into Production.
    const promoteCount = count();
    const promoteTimes: number[] = [];
    for (let i = 0; i < n; i++) {
      await saveOnStaging();
      const t0 = performance.now();
      const result = await promoteEnvironment({ application: app, environment: staging, actor });
      promoteTimes.push(performance.now() - t0);
      if (!result.ok) throw new Error(`promote failed: ${result.message}`);
    }
    rows.push(summarise("promote", "console", promoteCount, promoteTimes));

    const floorCount = count();
    const floorPromote: number[] = [];
    for (let i = 0; i < n; i++) {
      await saveOnStaging();
      const t0 = performance.now();
      const production = git(["rev-parse", "refs/heads/Production"]);
      const stagingHead = git(["rev-parse", "refs/heads/Staging"]);
      const tree = git(["merge-tree", "--write-tree", production, stagingHead]).split("\n")[0];
      const commit = git(["commit-tree", tree, "-p", production, "-p", stagingHead], "Staging merged to Production\n", identity);
      git(["update-ref", "refs/heads/Production", commit, production]);
      floorPromote.push(performance.now() - t0);
    }
    rows.push(summarise("promote", "floor", floorCount, floorPromote));
  } finally {
    temp.cleanup();
    if (savedDataDir === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = savedDataDir;
    resetSettings();
  }
  return rows;
}

// `npx tsx bench/config-git.ts [history] [n]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.table(await benchConfigGit({ history: Number(process.argv[2]) || 1000, n: Number(process.argv[3]) || 50 }));
}
