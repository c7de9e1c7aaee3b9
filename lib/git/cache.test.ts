import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { blobCacheStats, clearBlobCache, readBranchBlobCached, resolveBranch } from "./cache";
import { createBareRepository, gitEnv, readBlob } from "./index";

// The per-commit cache of branch files against real bare repositories: the same answers as readBlob, a new commit
// seen at once (loose and packed refs), and a repeated read served without git.

const git = (dir: string, ...args: string[]) => execFileSync("git", args, { env: gitEnv({ GIT_DIR: dir }), encoding: "utf8" }).trim();

/** Commits `content` as section.config.json on `branch` (plumbing, like the console's own commits). */
function commitFile(dir: string, branch: string, content: string): string {
  const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], {
    env: gitEnv({ GIT_DIR: dir }),
    input: content,
    encoding: "utf8",
  }).trim();
  const tree = execFileSync("git", ["mktree"], {
    env: gitEnv({ GIT_DIR: dir }),
    input: `100644 blob ${blob}\tsection.config.json\n`,
    encoding: "utf8",
  }).trim();
  const parent = git(dir, "rev-parse", `refs/heads/${branch}`);
  const commit = git(dir, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit-tree", tree, "-p", parent, "-m", "change");
  git(dir, "update-ref", `refs/heads/${branch}`, commit);
  return commit;
}

describe("readBranchBlobCached", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let repo: string;
  beforeAll(async () => {
    temp = makeTempDataDir("ec-git-cache-");
    repo = path.join(temp.dir, "site.git");
    await createBareRepository(repo, { "section.config.json": '{ "v": 1 }\n', "a/b.txt": "b\n" }, { message: "initial" });
  });
  afterAll(() => temp.cleanup());
  beforeEach(() => clearBlobCache());

  it("answers like readBlob: the file, null for a missing file, folder, branch or an unsafe name", async () => {
    for (const [branch, file] of [
      ["Production", "section.config.json"],
      ["Production", "a/b.txt"],
      ["Production", "missing.json"],
      ["Production", "a"],
      ["Nope", "section.config.json"],
      ["bad..name", "section.config.json"],
      ["Production", "../etc/passwd"],
    ]) {
      expect(await readBranchBlobCached(repo, branch, file), `${branch}:${file}`).toBe(await readBlob(repo, branch, file));
    }
  });

  it("reads a file once per commit, and sees a new commit at once, through loose and packed refs", async () => {
    expect(await readBranchBlobCached(repo, "Production", "section.config.json")).toBe('{ "v": 1 }\n');
    expect(await readBranchBlobCached(repo, "Production", "section.config.json")).toBe('{ "v": 1 }\n');
    expect(blobCacheStats()).toMatchObject({ hits: 1, misses: 1 });

    const second = commitFile(repo, "Production", '{ "v": 2 }\n');
    expect(await resolveBranch(repo, "Production")).toBe(second);
    expect(await readBranchBlobCached(repo, "Production", "section.config.json")).toBe('{ "v": 2 }\n');
    expect(blobCacheStats()).toMatchObject({ hits: 1, misses: 2 });

    // git-pack-refs moves the branch into packed-refs and removes the loose file.
    git(repo, "pack-refs", "--all", "--prune");
    expect(fs.existsSync(path.join(repo, "refs/heads/Production"))).toBe(false);
    expect(await resolveBranch(repo, "Production")).toBe(second);
    expect(await readBranchBlobCached(repo, "Production", "section.config.json")).toBe('{ "v": 2 }\n');
    expect(blobCacheStats()).toMatchObject({ hits: 2, misses: 2 });

    // A commit after packing writes a loose ref again, which wins over the packed one (as in git).
    const third = commitFile(repo, "Production", '{ "v": 3 }\n');
    expect(await resolveBranch(repo, "Production")).toBe(third);
    expect(await readBranchBlobCached(repo, "Production", "section.config.json")).toBe('{ "v": 3 }\n');
    expect(await resolveBranch(repo, "Nope")).toBeNull();
  });
});
