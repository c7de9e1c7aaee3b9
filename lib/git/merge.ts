import { platformIdentity } from "./create-repository";
import { createCommit, treeOf } from "./commit";
import { isAncestor, isObjectId } from "./refs";
import { GitError, runGitText } from "./run";
import { runGitWithStatus } from "./run";

// Three-way merges computed entirely in the object database (git-merge-tree(1) `--write-tree`, git ≥ 2.38):
// no worktree, no index, no ref touched. The caller decides what to do with the resulting tree.

/** A merge result: the merged tree, or the files that conflict (nothing to commit). */
export type TreeMergeResult = { clean: true; tree: string } | { clean: false; conflicts: string[] };

/**
 * Merges commit `theirs` into commit `ours` with git-merge-tree(1) `--write-tree --no-messages --name-only -z`
 * (the "ort" strategy, merge base found by git). Exit 0 → `{ clean: true, tree }`; exit 1 → `{ clean: false,
 * conflicts }` listing each conflicting path once. Both must be commit ids (resolved by the caller, so the merge is
 * of exactly what was looked at). Rejects with GitError for other failures (e.g. unrelated histories).
 */
export async function mergeCommits(repoPath: string, ours: string, theirs: string): Promise<TreeMergeResult> {
  if (!isObjectId(ours) || !isObjectId(theirs)) throw new TypeError("mergeCommits needs commit ids");
  const args = ["-c", "core.quotePath=false", "merge-tree", "--write-tree", "--no-messages", "--name-only", "-z", ours, theirs];
  const result = await runGitWithStatus(args, { gitDir: repoPath });
  if (result.exitCode !== 0 && result.exitCode !== 1) throw new GitError(args, result.exitCode, result.stderr);
  const [tree, ...rest] = result.stdout.toString("utf8").split("\0");
  if (!isObjectId(tree)) throw new GitError(args, result.exitCode, `unexpected output: ${JSON.stringify(String(tree).slice(0, 200))}`);
  if (result.exitCode === 0) return { clean: true, tree };
  return { clean: false, conflicts: [...new Set(rest.filter(Boolean))].sort() };
}

/**
 * The tree of `onto` with commit `commit` undone (what git-revert(1) computes), without a worktree: a three-way
 * merge whose base is `commit`, "ours" `onto` and "theirs" the tree of `commit`'s first parent (the empty tree for
 * a root commit). git 2.39's merge-tree has no `--merge-base`, so "theirs" is a throw-away commit object holding
 * the parent's tree with `commit` as its only parent: then the merge base git finds is exactly `commit`. The
 * object is unreferenced (git-gc(1) removes it). `commit` must be reachable from `onto` (else TypeError).
 */
export async function revertTree(repoPath: string, commit: string, onto: string): Promise<TreeMergeResult> {
  if (!isObjectId(commit) || !isObjectId(onto)) throw new TypeError("revertTree needs commit ids");
  if (!(await isAncestor(repoPath, commit, onto))) throw new TypeError("The commit to revert is not in this branch's history");
  const parents = await commitParents(repoPath, commit);
  const parentTree = parents.length > 0 ? await treeOf(repoPath, parents[0]) : await emptyTree(repoPath);
  const identity = platformIdentity();
  const theirs = await createCommit(repoPath, {
    tree: parentTree,
    parents: [commit],
    message: `revert ${commit} (temporary)`,
    author: identity,
    committer: identity,
  });
  return mergeCommits(repoPath, onto, theirs);
}

/** Parent ids of a commit (git-rev-list(1) `--parents -n 1`). */
export async function commitParents(repoPath: string, commit: string): Promise<string[]> {
  if (!isObjectId(commit)) throw new TypeError("commitParents needs a commit id");
  const line = await runGitText(["rev-list", "--parents", "-n", "1", commit], { gitDir: repoPath });
  return line.split(" ").slice(1).filter(Boolean);
}

/** Writes (if needed) and returns the id of the empty tree (git-mktree(1) with no entries). */
export function emptyTree(repoPath: string): Promise<string> {
  return runGitText(["mktree"], { gitDir: repoPath, input: "" });
}
