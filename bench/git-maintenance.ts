import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { one, writeTransaction } from "@/db";
import { accounts, applications } from "@/db/schema";
import { repositoriesDir } from "@/lib/config";
import { commitOnBranch, writeTreeWithChanges } from "@/lib/git/commit";
import { createBareRepository, platformIdentity } from "@/lib/git/create-repository";
import { MAINTENANCE_TASKS, maintainRepositories } from "@/lib/git/maintenance";
import { gitEnv, runGitText } from "@/lib/git/run";
import { newRepositoryDirName } from "@/lib/repositories/paths";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

/**
 * One pass over all repositories. `job`: lib/git/maintenance `maintainRepositories` (database read, lock and
 * temp-pack checks, one git per repository at nice 10); `floor`: a shell loop running the same `git maintenance run`
 * on each repository by hand. Pass 1 packs the loose objects, pass 2 deletes their loose copies (git's two steps),
 * pass 3 finds nothing to do. `peakRssKb`: job — this node process's peak RSS (ru_maxrss, includes the bench's own
 * setup); floor — /usr/bin/time's peak of the loop (its largest process, a git; the job's git children are the same).
 * `rssGrowthKb` (job): this process's RSS after the pass minus before it.
 */
export type GitMaintenanceBenchRow = {
  kind: "job" | "floor";
  pass: number;
  repos: number;
  ms: number;
  msPerRepo: number;
  peakRssKb: number;
  rssGrowthKb: number | "";
};

/**
 * Makes one repository with `commits` console commits (loose objects, like the product's commit path leaves them),
 * copies it `repos` times for the job (with application rows in a temp SQLite) and `repos` times for the floor,
 * then times three passes of each. Needs `/usr/bin/time`.
 */
export async function benchGitMaintenance(options: { repos: number; commits: number }): Promise<GitMaintenanceBenchRow[]> {
  const temp = makeTempDataDir("ec-bench-git-maintenance-");
  try {
    const template = path.join(temp.dir, "template.git");
    const created = await createBareRepository(template, { "section.config.json": "{}\n" }, { message: "initial section.config.json" });
    const who = platformIdentity();
    let head = created.commit;
    for (let i = 1; i <= options.commits; i++) {
      const tree = await writeTreeWithChanges(template, head, [{ path: "section.config.json", content: `{"edit":${i}}\n` }]);
      const r = await commitOnBranch(template, "Production", head, {
        tree,
        parents: [head],
        message: `edit ${i}`,
        author: who,
        committer: who,
      });
      if (!r.ok) throw new Error("the branch moved");
      head = r.commit;
    }
    fs.mkdirSync(repositoriesDir(), { recursive: true });
    const floorDir = path.join(temp.dir, "floor");
    fs.mkdirSync(floorDir);
    const names = Array.from({ length: options.repos }, () => newRepositoryDirName());
    for (const name of names) {
      fs.cpSync(template, path.join(repositoriesDir(), name), { recursive: true });
      fs.cpSync(template, path.join(floorDir, name), { recursive: true });
    }
    await writeTransaction(async (tx) => {
      const account = await one(tx.insert(accounts).values({ name: "Bench" }).returning());
      for (const repoDir of names)
        await tx.insert(applications).values({ accountId: account.id, name: repoDir, repoName: repoDir, repoDir, stackId: "varnish" });
    });
    const loop =
      `for d in "$@"; do GIT_DIR="$d" git -c pack.threads=1 maintenance run --auto --quiet ` +
      `${MAINTENANCE_TASKS.map((t) => `--task=${t}`).join(" ")} >/dev/null || exit 1; done`;
    const rows: GitMaintenanceBenchRow[] = [];
    const row = (kind: "job" | "floor", pass: number, ms: number, peakRssKb: number, rssGrowthKb: number | ""): GitMaintenanceBenchRow => ({
      kind,
      pass,
      repos: options.repos,
      ms: Math.round(ms),
      msPerRepo: Math.round((ms / options.repos) * 100) / 100,
      peakRssKb,
      rssGrowthKb,
    });
    for (let pass = 1; pass <= 3; pass++) {
      const rssBefore = process.memoryUsage().rss;
      let t = performance.now();
      const slice = await maintainRepositories({ limit: options.repos + 1 });
      if (slice.done !== options.repos) throw new Error(`the job maintained ${slice.done} of ${options.repos}`);
      const jobMs = performance.now() - t;
      rows.push(row("job", pass, jobMs, process.resourceUsage().maxRSS, Math.round((process.memoryUsage().rss - rssBefore) / 1024)));
      t = performance.now();
      const timeFile = path.join(temp.dir, "time.txt");
      execFileSync("/usr/bin/time", ["-o", timeFile, "-f", "%M", "sh", "-c", loop, "sh", ...names.map((n) => path.join(floorDir, n))], {
        env: gitEnv(),
        stdio: "ignore",
      });
      const ms = performance.now() - t;
      const out = fs.readFileSync(timeFile, "utf8");
      rows.push(row("floor", pass, ms, Number(out.trim().split("\n").pop()), ""));
    }
    // Both sides ended in the same state.
    const sample = path.join(repositoriesDir(), names[0]);
    const counts = await runGitText(["count-objects", "-v"], { gitDir: sample });
    if (!/^count: 0$/m.test(counts)) throw new Error(`loose objects left after three passes:\n${counts}`);
    return rows;
  } finally {
    temp.cleanup();
  }
}
