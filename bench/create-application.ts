import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { writeTransaction, one } from "@/db";
import { accounts, memberships, users } from "@/db/schema";
import { createApplication } from "@/lib/applications/create";
import { repositoriesDir, resetSettings } from "@/lib/config";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createBareRepository, gitEnv } from "@/lib/git";
import { buildInitialConfig, serializeSectionConfig } from "@/lib/section-config/schema";
import { getStack } from "@/lib/stacks/catalog";
import { readStarterFiles } from "@/lib/stacks/starter-files";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { percentile, rssSampler } from "./stats";

/**
 * One measured run. `createApplication`: the whole unit (repository via git plumbing + one SQLite transaction);
 * `floor`: the same first commit made with the plainest sequential git plumbing (init --bare, hash-object per
 * file, mktree per folder, commit-tree, update-ref), no database, no validation.
 */
export type CreateApplicationBenchRow = {
  kind: "createApplication" | "floor";
  concurrency: number;
  count: number;
  wallMs: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Median time of the repository step alone (createApplication rows only; 0 for the floor). */
  gitP50Ms: number;
  /** Highest resident set size of this node process sampled every 20 ms (git children not included), MiB. */
  peakRssMiB: number;
};

function row(
  kind: CreateApplicationBenchRow["kind"],
  concurrency: number,
  times: number[],
  wallMs: number,
  gitTimes: number[],
  peakRssMiB: number,
): CreateApplicationBenchRow {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    kind,
    concurrency,
    count: times.length,
    wallMs: Math.round(wallMs),
    perSecond: Math.round((times.length / wallMs) * 1000 * 10) / 10,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    gitP50Ms: round(
      percentile(
        [...gitTimes].sort((a, b) => a - b),
        50,
      ),
    ),
    peakRssMiB,
  };
}

/** The floor: one repository with the given files, by sequential git plumbing calls, no shell, no database. */
function plainFirstCommit(dir: string, files: Record<string, string>): void {
  const env = gitEnv({
    GIT_DIR: dir,
    GIT_AUTHOR_NAME: "Edge Console",
    GIT_AUTHOR_EMAIL: "platform@edge.localhost",
    GIT_COMMITTER_NAME: "Edge Console",
    GIT_COMMITTER_EMAIL: "platform@edge.localhost",
  });
  const run = (args: string[], input = "") => execFileSync("git", args, { env, input, encoding: "utf8" }).trim();
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=Production", "--", dir], { env: gitEnv() });
  const folders = new Map<string, string[]>([["", []]]);
  for (const [name, content] of Object.entries(files)) {
    const oid = run(["hash-object", "-w", "--stdin"], content);
    const slash = name.lastIndexOf("/");
    const folder = slash === -1 ? "" : name.slice(0, slash);
    if (!folders.has(folder)) folders.set(folder, []);
    folders.get(folder)!.push(`100644 blob ${oid}\t${name.slice(slash + 1)}\n`);
  }
  // The catalog's starter files sit one folder deep.
  for (const [folder, entries] of folders) {
    if (folder) folders.get("")!.push(`040000 tree ${run(["mktree"], entries.join(""))}\t${folder}\n`);
  }
  const tree = run(["mktree"], folders.get("")!.join(""));
  const commit = run(["commit-tree", tree], "initial section.config.json\n");
  run(["update-ref", "refs/heads/Production", commit]);
}

/**
 * Benchmarks application creation: `n` (default 100) `createApplication` calls with the varnish stack into an
 * existing account, at each concurrency (default 1 and 8), in a temporary DATA_DIR with real git, next to the
 * floor (`n` first commits by plain sequential plumbing, no database). The background edge reconciles of a level
 * run during it, and are waited for (not timed) before the next. Restores DATA_DIR and removes its data.
 */
export async function benchCreateApplication(options: { n?: number; concurrency?: number[] } = {}): Promise<CreateApplicationBenchRow[]> {
  const n = options.n ?? 100;
  const levels = options.concurrency ?? [1, 8];
  const savedDataDir = process.env.DATA_DIR;
  const temp = makeTempDataDir("ec-bench-create-");
  const rows: CreateApplicationBenchRow[] = [];
  try {
    const { user, account } = await writeTransaction(async (db) => {
      const user = await one(db.insert(users).values({ email: "bench@example.com", name: "Bench", passwordHash: "x" }).returning());
      const account = await one(db.insert(accounts).values({ name: "Bench" }).returning());
      await db.insert(memberships).values({ userId: user.id, accountId: account.id, role: "owner" });
      return { user, account };
    });
    const stack = getStack("varnish")!;
    const origin = { address: "203.0.113.7", protocol: "https" as const, port: 443 };

    // Floor first (also warms the page cache for git's binaries).
    const files = {
      ...readStarterFiles(stack),
      "section.config.json": serializeSectionConfig(buildInitialConfig(stack, origin)),
      ".gitignore": "local.config.json\n",
    };
    const floorRoot = path.join(temp.dir, "floor");
    fs.mkdirSync(floorRoot);
    const floorTimes: number[] = [];
    const stopFloor = rssSampler();
    const floorStart = performance.now();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      plainFirstCommit(path.join(floorRoot, `${i}.git`), files);
      floorTimes.push(performance.now() - t0);
    }
    rows.push(row("floor", 1, floorTimes, performance.now() - floorStart, [], stopFloor()));

    for (const concurrency of levels) {
      const times: number[] = [];
      const gitTimes: number[] = [];
      let next = 0;
      const stop = rssSampler();
      const start = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const i = next++;
            const t0 = performance.now();
            const result = await createApplication(
              {
                actor: { id: user.id, name: user.name, email: user.email },
                account: { id: account.id },
                hostname: {
                  hostname: `app${i}.c${concurrency}.bench.example`,
                  unicode: `app${i}.c${concurrency}.bench.example`,
                  isApex: false,
                },
                origin,
                stackId: stack.id,
                ownershipRequired: false,
              },
              {
                buildRepository: async (dir, repoFiles, repoOptions) => {
                  const g0 = performance.now();
                  await createBareRepository(dir, repoFiles, repoOptions);
                  gitTimes.push(performance.now() - g0);
                },
              },
            );
            if (!result.ok) throw new Error(`createApplication failed: ${result.message}`);
            times.push(performance.now() - t0);
          }
        }),
      );
      rows.push(row("createApplication", concurrency, times, performance.now() - start, gitTimes, stop()));
      // The edge reconciles each creation starts in the background (noteEdgeChange) finish before the next level and
      // before the database goes: on PostgreSQL they lag behind the creations.
      await settleEdgeChanges();
    }
    const made = fs.readdirSync(repositoriesDir()).length;
    if (made !== n * levels.length) throw new Error(`expected ${n * levels.length} repositories, found ${made}`);
  } finally {
    temp.cleanup();
    if (savedDataDir === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = savedDataDir;
    resetSettings();
  }
  return rows;
}

// `npx tsx bench/create-application.ts [n]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.table(await benchCreateApplication({ n: Number(process.argv[2]) || 100 }));
}
