import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { commitOnBranch, readBlobAt, treeOf, writeTreeWithChanges } from "./commit";
import { createBareRepository, platformIdentity } from "./create-repository";
import { diffCommit, diffTrees } from "./diff";
import { getCommit, listCommits } from "./history";
import { mergeCommits, revertTree } from "./merge";
import {
  archiveBranchAsTag,
  deletedTagName,
  freeDeletedTagName,
  listBranches,
  listTags,
  resolveBranch,
  updateBranch,
  ZERO_OID,
} from "./refs";
import { gitEnv } from "./run";

/** The real git CLI, as a user would run it (own process, no product code). */
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: gitEnv(), encoding: "utf8" }).trim();

const ADA = { name: "Ada Lovelace", email: "ada@example.com" };
const PLATFORM = platformIdentity();

describe("lib/git plumbing: commits, refs, merges without a worktree", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let repo: string;
  let first: string;
  let counter = 0;

  /** Commits `changes` on `branch` from its current head; returns the new head. */
  async function commit(branch: string, changes: Record<string, string | null>, message = `change ${++counter}`) {
    const head = (await resolveBranch(repo, branch))!;
    const tree = await writeTreeWithChanges(
      repo,
      head,
      Object.entries(changes).map(([p, content]) => ({ path: p, content })),
    );
    const result = await commitOnBranch(repo, branch, head, { tree, parents: [head], message, author: ADA, committer: PLATFORM });
    if (!result.ok) throw new Error("moved");
    return result.commit;
  }

  beforeAll(async () => {
    temp = makeTempDataDir("ec-plumbing-");
    repo = path.join(temp.dir, "app.git");
    const created = await createBareRepository(repo, { "a.txt": "one\ntwo\nthree\n", "dir/b.txt": "b\n" }, { message: "initial" });
    first = created.commit;
  });
  afterAll(() => temp.cleanup());

  it("commits a change by the user, committed by the platform, without a worktree or a shared index", async () => {
    const head = await commit("Production", { "a.txt": "one\nTWO\nthree\n", "dir/c.txt": "new\n", "dir/b.txt": null }, "Edit a");
    expect(git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s|%P", "Production")).toBe(
      `Ada Lovelace <ada@example.com>|Edge Console <platform@edge.localhost>|Edit a|${first}`,
    );
    expect(git(repo, "ls-tree", "-r", "--name-only", "Production").split("\n")).toEqual(["a.txt", "dir/c.txt"]);
    expect((await readBlobAt(repo, head, "a.txt"))?.content.toString()).toBe("one\nTWO\nthree\n");
    expect(await readBlobAt(repo, head, "dir/b.txt")).toBeNull();
    expect(await readBlobAt(repo, head, "dir")).toBeNull();
    expect(await readBlobAt(repo, "--output=/tmp/x", "a.txt")).toBeNull();
    expect(fs.existsSync(path.join(repo, "index"))).toBe(false);
    git(repo, "fsck", "--strict", "--no-dangling");
  });

  it("moves a branch only from the expected head (compare-and-swap): of two concurrent commits one wins", async () => {
    const head = (await resolveBranch(repo, "Production"))!;
    const trees = await Promise.all(
      ["left", "right"].map((side) => writeTreeWithChanges(repo, head, [{ path: "race.txt", content: `${side}\n` }])),
    );
    const results = await Promise.all(
      trees.map((tree, i) =>
        commitOnBranch(repo, "Production", head, { tree, parents: [head], message: `race ${i}`, author: ADA, committer: PLATFORM }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, code: "moved" }]);
    const winner = results.find((r) => r.ok) as { commit: string };
    expect(await resolveBranch(repo, "Production")).toBe(winner.commit);
    expect(git(repo, "rev-list", "--count", "Production")).toBe("3");

    // Creating with the zero old value never overwrites an existing branch.
    expect(await updateBranch(repo, "Production", first, ZERO_OID)).toBe(false);
    expect(await resolveBranch(repo, "Production")).toBe(winner.commit);
    expect(() => updateBranch(repo, "--upload-pack=x", first, ZERO_OID)).toThrow(TypeError);
  });

  it("lists history with pagination and reads single commits", async () => {
    const page1 = (await listCommits(repo, "Production", { limit: 2 }))!;
    expect(page1.commits.map((c) => c.subject)).toEqual([expect.stringMatching(/^race /), "Edit a"]);
    expect(page1.hasMore).toBe(true);
    expect(page1.commits[1]).toMatchObject({ authorName: "Ada Lovelace", authorEmail: "ada@example.com", committerName: "Edge Console" });
    const page2 = (await listCommits(repo, "Production", { skip: 2, limit: 2 }))!;
    expect(page2.commits.map((c) => c.sha)).toEqual([first]);
    expect(page2.hasMore).toBe(false);
    expect(await listCommits(repo, "Nope")).toBeNull();
    expect((await getCommit(repo, first))?.message).toBe("initial");
    expect(await getCommit(repo, "0".repeat(40))).toBeNull();
    expect(await getCommit(repo, await treeOf(repo, first))).toBeNull();
  });

  it("diffs commits and snapshots as git does", async () => {
    const edit = (await listCommits(repo, "Production", { skip: 1, limit: 1 }))!.commits[0];
    const diff = await diffCommit(repo, edit.sha);
    expect(diff.files).toEqual(["a.txt", "dir/b.txt", "dir/c.txt"]);
    expect(diff.text).toContain("-two\n+TWO\n");
    expect(diff.text).toBe(git(repo, "diff", "--no-color", `${edit.sha}^`, edit.sha) + "\n");
    const root = await diffCommit(repo, first);
    expect(root.text).toContain("+one\n+two\n+three\n");
    const cut = await diffTrees(repo, first, edit.sha, { maxBytes: 60 });
    expect(cut.truncated).toBe(true);
    expect(cut.text.length).toBeLessThanOrEqual(60);
  });

  it("reverts a commit as the inverse change, also after later commits", async () => {
    const target = await commit("Production", { "a.txt": "one\nTWO\nthree\nfour\n" }, "Add four");
    await commit("Production", { "dir/c.txt": "newer\n" }, "Later");
    const head = (await resolveBranch(repo, "Production"))!;
    const result = await revertTree(repo, target, head);
    expect(result.clean).toBe(true);
    if (!result.clean) return;
    const reverted = await diffTrees(repo, head, result.tree);
    expect(reverted.text).toContain("-four\n");
    expect(reverted.files).toEqual(["a.txt"]);
    await expect(revertTree(repo, head, first)).rejects.toThrow(/not in this branch's history/);
  });

  it("merges in the object database: clean → tree, conflict → files, no ref moved", async () => {
    const base = (await resolveBranch(repo, "Production"))!;
    expect(await updateBranch(repo, "Staging", base, ZERO_OID)).toBe(true);
    const staging = await commit("Staging", { "dir/c.txt": "staging\n" });
    const clean = await mergeCommits(repo, base, staging);
    expect(clean).toEqual({ clean: true, tree: await treeOf(repo, staging) });

    const production = await commit("Production", { "dir/c.txt": "production\n", "a.txt": "x\n" });
    const conflict = await mergeCommits(repo, production, staging);
    expect(conflict).toEqual({
      clean: false,
      conflicts: ["dir/c.txt"],
      details: [{ path: "dir/c.txt", kind: "content", message: "changed in both ours and theirs, in different ways" }],
    });
    expect(await resolveBranch(repo, "Production")).toBe(production);
    expect(await resolveBranch(repo, "Staging")).toBe(staging);
  });

  it("archives a branch as deleted/<name>-<UTC stamp> atomically, refusing a moved branch", async () => {
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    expect(deletedTagName("Staging", at)).toBe("deleted/Staging-20250102T030405Z");
    const head = (await resolveBranch(repo, "Staging"))!;
    const tag = await freeDeletedTagName(repo, "Staging", at);
    expect(tag).toBe("deleted/Staging-20250102T030405Z");
    expect(await archiveBranchAsTag(repo, "Staging", first, tag)).toBe(false);
    expect(await resolveBranch(repo, "Staging")).toBe(head);
    expect(await listTags(repo, "deleted/")).toEqual([]);
    expect(await archiveBranchAsTag(repo, "Staging", head, tag)).toBe(true);
    expect(await resolveBranch(repo, "Staging")).toBeNull();
    expect(git(repo, "rev-parse", "refs/tags/deleted/Staging-20250102T030405Z")).toBe(head);

    // Same name deleted again within the same second: the next free tag; an existing tag is never overwritten.
    await updateBranch(repo, "Staging", head, ZERO_OID);
    expect(await archiveBranchAsTag(repo, "Staging", head, tag)).toBe(false);
    expect(await resolveBranch(repo, "Staging")).toBe(head);
    const second = await freeDeletedTagName(repo, "Staging", at);
    expect(second).toBe("deleted/Staging-20250102T030405Z-2");
    expect(await archiveBranchAsTag(repo, "Staging", head, second)).toBe(true);
    expect(await listTags(repo, "deleted/")).toEqual([tag, second]);
    expect(await listBranches(repo)).toEqual(["Production"]);
  });
});
