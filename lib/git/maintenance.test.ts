import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dialect, one, writeTransaction } from "@/db";
import { accounts, applications } from "@/db/schema";
import { startLeaderElection, stopLeaderElection, isLeader } from "@/lib/cluster/leader";
import { repositoriesDir } from "@/lib/config";
import { newRepositoryDirName } from "@/lib/repositories/paths";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { commitOnBranch, writeTreeWithChanges } from "./commit";
import { createBareRepository, platformIdentity } from "./create-repository";
import { LOOSE_REFS_AUTO, maintainRepositories, maintainRepository, startGitMaintenance } from "./maintenance";
import { runGit, runGitText, runGitWithStatus } from "./run";

// Git maintenance of the applications' repositories (docs/architecture.md "Git storage and its maintenance"): real
// bare repositories made by the console's own commit path, real git, a real database (SQLite, or PostgreSQL with
// TEST_DATABASE=postgres).
let temp: { dir: string; cleanup: () => void };
beforeEach(() => {
  temp = makeTempDataDir("ec-git-maintenance-");
  fs.mkdirSync(repositoriesDir(), { recursive: true });
});
afterEach(async () => {
  await stopLeaderElection();
  temp.cleanup();
});

type Counts = { count: number; inPack: number; packs: number; prunePackable: number };

/** git-count-objects(1) `-v` of the repository at `dir`. */
async function countObjects(dir: string): Promise<Counts> {
  const text = await runGitText(["count-objects", "-v"], { gitDir: dir });
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1]);
  return { count: field("count"), inPack: field("in-pack"), packs: field("packs"), prunePackable: field("prune-packable") };
}

/**
 * An application row and its repository, made like the console makes them: createBareRepository, then `commits`
 * edits of section.config.json on Production through writeTreeWithChanges + commitOnBranch (each a loose commit,
 * tree and blob). Staging is Production 5 commits back.
 */
async function applicationWithCommits(commits: number): Promise<{ id: number; dir: string }> {
  const repoDir = newRepositoryDirName();
  const dir = path.join(repositoriesDir(), repoDir);
  const created = await createBareRepository(dir, { "section.config.json": "{}\n" }, { message: "initial section.config.json" });
  let head = created.commit;
  const who = platformIdentity();
  for (let i = 1; i <= commits; i++) {
    const tree = await writeTreeWithChanges(dir, head, [{ path: "section.config.json", content: `{"edit":${i}}\n` }]);
    const r = await commitOnBranch(dir, "Production", head, { tree, parents: [head], message: `edit ${i}`, author: who, committer: who });
    if (!r.ok) throw new Error("the branch moved");
    head = r.commit;
  }
  await runGit(["update-ref", "refs/heads/Staging", `${head}~${Math.min(5, commits)}`], { gitDir: dir });
  const id = await writeTransaction(async (tx) => {
    const account = await one(
      tx
        .insert(accounts)
        .values({ name: `Acme ${repoDir.slice(0, 8)}` })
        .returning(),
    );
    const app = await one(
      tx.insert(applications).values({ accountId: account.id, name: "shop", repoName: "shop", repoDir, stackId: "varnish" }).returning(),
    );
    return app.id;
  });
  return { id, dir };
}

/** The branch heads of `dir` as `name oid` lines. */
const heads = (dir: string) => runGitText(["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"], { gitDir: dir });
/** Every ref of `dir` as `name oid` lines, loose or packed. */
const refsOf = (dir: string) => runGitText(["for-each-ref", "--format=%(refname) %(objectname)"], { gitDir: dir });
/** A bare clone of `dir` over git's pack protocol (upload-pack, as git-http-backend serves it) into a fresh folder. */
async function cloneOf(dir: string): Promise<string> {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), "ec-clone-"));
  await runGit(["clone", "--quiet", "--bare", "--no-local", `file://${dir}`, target]);
  return target;
}
const packFiles = (dir: string) => fs.readdirSync(path.join(dir, "objects", "pack")).filter((f) => f.endsWith(".pack"));

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("git maintenance of the applications' repositories", () => {
  it("packs the loose objects of 200 console commits, keeps every branch and commit, and serves clones during and after", async () => {
    const app = await applicationWithCommits(200);
    const before = await countObjects(app.dir);
    expect(before.count).toBeGreaterThanOrEqual(600);
    expect(before.inPack).toBe(0);
    const refs = await heads(app.dir);

    // A clone running while the pass runs.
    const [slice, during] = await Promise.all([maintainRepositories(), cloneOf(app.dir)]);
    expect(slice).toMatchObject({ visited: 1, done: 1, failed: 0, finished: true, lastId: app.id });
    const first = await countObjects(app.dir);
    // git's two steps (git-maintenance(1) "loose-objects"): this run packed them; the next deletes the loose copies.
    expect(first.inPack).toBe(before.count);
    expect(first.prunePackable).toBe(before.count);
    await maintainRepositories();
    const second = await countObjects(app.dir);
    expect(second).toMatchObject({ count: 0, inPack: before.count, prunePackable: 0 });

    expect(await heads(app.dir)).toBe(refs);
    await runGit(["fsck", "--strict", "--no-progress"], { gitDir: app.dir });
    const after = await cloneOf(app.dir);
    try {
      for (const clone of [during, after]) {
        expect(await heads(clone)).toBe(refs);
        expect(await runGitText(["rev-list", "--count", "Production"], { gitDir: clone })).toBe("201");
        await runGit(["fsck", "--no-progress"], { gitDir: clone });
      }
    } finally {
      fs.rmSync(during, { recursive: true, force: true });
      fs.rmSync(after, { recursive: true, force: true });
    }
  }, 120_000);

  it("packs the refs of a repository past LOOSE_REFS_AUTO loose refs into packed-refs, and leaves a few loose", async () => {
    const many = await applicationWithCommits(1);
    const few = await applicationWithCommits(1);
    const tag = (dir: string, count: number) =>
      runGit(["update-ref", "--stdin"], {
        gitDir: dir,
        input: Array.from({ length: count }, (_, i) => `create refs/tags/v${i} refs/heads/Production\n`).join(""),
      });
    await tag(many.dir, LOOSE_REFS_AUTO + 20);
    await tag(few.dir, 10);
    const before = { many: await refsOf(many.dir), few: await refsOf(few.dir) };
    expect(await maintainRepository(many.dir)).toMatchObject({ outcome: "done" });
    expect(await maintainRepository(few.dir)).toMatchObject({ outcome: "done" });
    // Every ref still names the same commit; the many are now lines of packed-refs, the few still files.
    expect(await refsOf(many.dir)).toEqual(before.many);
    expect(await refsOf(few.dir)).toEqual(before.few);
    expect(fs.readdirSync(path.join(many.dir, "refs", "tags"))).toEqual([]);
    expect(fs.readFileSync(path.join(many.dir, "packed-refs"), "utf8")).toContain(" refs/tags/v119\n");
    expect(fs.readdirSync(path.join(few.dir, "refs", "tags"))).toHaveLength(10);
    await runGit(["fsck", "--strict", "--no-progress"], { gitDir: many.dir });
  }, 60_000);

  it("skips a deleted application's repository and counts a repository gone from under its row as missing", async () => {
    const kept = await applicationWithCommits(40);
    const deleted = await applicationWithCommits(40);
    const vanished = await applicationWithCommits(1);
    await writeTransaction(async (tx) => {
      await tx.delete(applications).where(eq(applications.id, deleted.id));
    });
    fs.rmSync(vanished.dir, { recursive: true }); // e.g. moved to the archive by a deletion in progress
    const slice = await maintainRepositories();
    expect(slice).toMatchObject({ visited: 2, done: 1, missing: 1, failed: 0 });
    expect((await countObjects(kept.dir)).inPack).toBeGreaterThan(100);
    expect(await countObjects(deleted.dir)).toMatchObject({ inPack: 0, packs: 0 });
  }, 60_000);

  it("walks the applications in slices by id", async () => {
    const a = await applicationWithCommits(1);
    const b = await applicationWithCommits(1);
    const c = await applicationWithCommits(1);
    const s1 = await maintainRepositories({ limit: 2 });
    expect(s1).toMatchObject({ visited: 2, lastId: b.id, finished: false });
    const s2 = await maintainRepositories({ afterId: s1.lastId, limit: 2 });
    expect(s2).toMatchObject({ visited: 1, lastId: c.id, finished: true });
    expect(a.id).toBeLessThan(b.id);
  });

  it("two runs at once on one repository: git's lock lets one pack, the other does nothing; nothing is corrupted", async () => {
    const app = await applicationWithCommits(40);
    const before = await countObjects(app.dir);
    const refs = await heads(app.dir);
    // As the console and `npm run worker` would on SQLite: two passes at once (separate git processes).
    const [x, y] = await Promise.all([maintainRepositories(), maintainRepositories()]);
    expect(x.failed + y.failed).toBe(0);
    expect(packFiles(app.dir)).toHaveLength(1);
    expect((await countObjects(app.dir)).inPack).toBe(before.count);
    // And git's own lock, without this module's check in front: a held objects/maintenance.lock makes
    // `git maintenance run --auto` exit 0 having done nothing (git-maintenance(1), "TROUBLESHOOTING").
    const more = await applicationWithCommits(40);
    const lock = path.join(more.dir, "objects", "maintenance.lock");
    fs.writeFileSync(lock, "");
    const git = await runGitWithStatus(["maintenance", "run", "--auto", "--quiet", "--task=loose-objects", "--task=incremental-repack"], {
      gitDir: more.dir,
    });
    expect(git.exitCode).toBe(0);
    expect(packFiles(more.dir)).toHaveLength(0);
    expect(await maintainRepository(more.dir)).toMatchObject({ outcome: "busy" });
    expect(packFiles(more.dir)).toHaveLength(0);
    // A lock left by a git that died long ago is removed, and the run goes ahead.
    const old = new Date(Date.now() - 2 * 3_600_000);
    fs.utimesSync(lock, old, old);
    expect(await maintainRepository(more.dir)).toMatchObject({ outcome: "done" });
    expect(fs.existsSync(lock)).toBe(false);
    expect(packFiles(more.dir)).toHaveLength(1);
    expect(await heads(app.dir)).toBe(refs);
    await runGit(["fsck", "--strict", "--no-progress"], { gitDir: app.dir });
    await runGit(["fsck", "--strict", "--no-progress"], { gitDir: more.dir });
  }, 60_000);

  it("stops a run past its time limit without harm; a later run cleans up what a killed git left", async () => {
    const app = await applicationWithCommits(40);
    const refs = await heads(app.dir);
    const r = await maintainRepository(app.dir, { timeoutMs: 1 });
    expect(r.outcome).toBe("timed out");
    await runGit(["fsck", "--strict", "--no-progress"], { gitDir: app.dir });
    // SIGTERM may leave pack-objects' temporary pack and (in a narrow window of git's lockfile code) the lock: a run
    // past the stale-lock age proceeds, and temporary packs past gc.pruneExpire's 2 weeks are removed.
    const packDir = path.join(app.dir, "objects", "pack");
    fs.mkdirSync(packDir, { recursive: true });
    const old = new Date(Date.now() - 15 * 86_400_000);
    fs.writeFileSync(path.join(packDir, "tmp_pack_old"), "x");
    fs.utimesSync(path.join(packDir, "tmp_pack_old"), old, old);
    fs.writeFileSync(path.join(packDir, "tmp_pack_fresh"), "x"); // a push in progress
    expect(await maintainRepository(app.dir, { staleLockMs: 0 })).toMatchObject({ outcome: "done" });
    expect(fs.existsSync(path.join(app.dir, "objects", "maintenance.lock"))).toBe(false);
    expect(fs.readdirSync(packDir).filter((f) => f.startsWith("tmp_pack_"))).not.toContain("tmp_pack_old");
    expect(fs.existsSync(path.join(packDir, "tmp_pack_fresh"))).toBe(true);
    expect(packFiles(app.dir)).toHaveLength(1);
    expect(await heads(app.dir)).toBe(refs);
    await runGit(["fsck", "--strict", "--no-progress"], { gitDir: app.dir });
  }, 60_000);

  it("the scheduler maintains every repository, a slice per tick, on the leader", async () => {
    const apps = [await applicationWithCommits(40), await applicationWithCommits(40), await applicationWithCommits(40)];
    await startLeaderElection(); // PostgreSQL: this process is the only candidate; SQLite: always the leader
    expect(isLeader()).toBe(true);
    const scheduler = startGitMaintenance({ intervalMs: 20, slice: 2 });
    try {
      await waitFor(async () => (await Promise.all(apps.map((a) => countObjects(a.dir)))).every((c) => c.inPack > 100));
    } finally {
      await scheduler.stop();
    }
  }, 60_000);

  it.runIf(dialect() === "postgres")(
    "PostgreSQL: does nothing while another process is the leader, and runs once this one leads",
    async () => {
      const app = await applicationWithCommits(40);
      // Another process of the cluster holds the leader's advisory lock (lib/cluster/leader.ts).
      const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await other.connect();
      try {
        await other.query("select pg_advisory_lock(7212083412)");
        await startLeaderElection();
        expect(isLeader()).toBe(false);
        const scheduler = startGitMaintenance({ intervalMs: 20 });
        try {
          await new Promise((resolve) => setTimeout(resolve, 500));
          expect(await countObjects(app.dir)).toMatchObject({ inPack: 0, packs: 0 });
          await other.query("select pg_advisory_unlock(7212083412)");
          await stopLeaderElection();
          await startLeaderElection();
          expect(isLeader()).toBe(true);
          await waitFor(async () => (await countObjects(app.dir)).inPack > 100);
        } finally {
          await scheduler.stop();
        }
      } finally {
        await other.end();
      }
    },
    60_000,
  );
});
