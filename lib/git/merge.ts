import { mergeSectionConfigFiles } from "@/lib/section-config/merge3";
import { platformIdentity } from "./create-repository";
import { createCommit, treeOf, writeTreeWithChanges } from "./commit";
import { classifyConflicts, parseMergeTreeOutput, type ConflictStage, type FileConflict, type MergeLabels } from "./conflicts";
import { isAncestor, isObjectId } from "./refs";
import { GitError, runGit, runGitText } from "./run";
import { runGitWithStatus } from "./run";

export type { ConflictKind, FileConflict, MergeLabels } from "./conflicts";

// Three-way merges computed entirely in the object database (git-merge-tree(1) `--write-tree`, git ≥ 2.38):
// no worktree, no index, no ref touched. The caller decides what to do with the resulting tree.

/**
 * A merge result: the merged tree, or the conflicting files — `conflicts` (the sorted paths, as before) and
 * `details`, one {@link FileConflict} per path with its kind (content, add/add, modify/delete, binary, rename,
 * file/directory, mode, config-keys, other) and a sentence. Nothing to commit when not clean.
 */
export type TreeMergeResult = { clean: true; tree: string } | { clean: false; conflicts: string[]; details: FileConflict[] };

/** The one file merged key by key (lib/section-config/merge3) when git's line merge conflicts on it. */
export const SECTION_CONFIG_FILE = "section.config.json";

/**
 * git could not merge at all: `unrelated_histories` (the commits share no history; git-merge-tree(1) refuses) or
 * `failed` (any other git failure: missing object, unexpected output). A GitError, so existing handlers still
 * catch it; callers map it to a clear message (409/422), never a 500.
 */
export class MergeError extends GitError {
  constructor(
    readonly reason: "unrelated_histories" | "failed",
    args: readonly string[],
    exitCode: number | null,
    stderr: string,
  ) {
    super(args, exitCode, stderr);
    this.name = "MergeError";
  }
}

/** Options of {@link mergeCommits}. */
export type MergeOptions = {
  /** Names of the two sides in conflict messages (default "ours" and "theirs"), e.g. Production and the environment. */
  labels?: MergeLabels;
};

/**
 * Merges commit `theirs` into commit `ours` with git-merge-tree(1) `--write-tree -z` (the "ort" strategy, merge
 * base found by git). Exit 0 → `{ clean: true, tree }`. Exit 1 → the conflicted file info and messages are read
 * (./conflicts); when git's line merge conflicts on `section.config.json` (content or add/add, a regular file on
 * both sides), that file is merged key by key from its base/ours/theirs blobs (lib/section-config/merge3 —
 * two environments each changing only their own `environments.<Name>` block merge cleanly): resolved, it is
 * written into the tree (git-hash-object(1), a private index: lib/git/commit writeTreeWithChanges) and the merge
 * is clean if nothing else conflicts; keys changed two ways make it a `config-keys` conflict naming their key
 * paths. Both must be commit ids (resolved by the caller, so the merge is of exactly what was looked at).
 * Rejects with {@link MergeError} when git cannot merge (unrelated histories, any other failure).
 */
export async function mergeCommits(repoPath: string, ours: string, theirs: string, options: MergeOptions = {}): Promise<TreeMergeResult> {
  if (!isObjectId(ours) || !isObjectId(theirs)) throw new TypeError("mergeCommits needs commit ids");
  const args = ["-c", "core.quotePath=false", "merge-tree", "--write-tree", "-z", ours, theirs];
  const result = await runGitWithStatus(args, { gitDir: repoPath });
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    const unrelated = /refusing to merge unrelated histories/.test(result.stderr);
    throw new MergeError(unrelated ? "unrelated_histories" : "failed", args, result.exitCode, result.stderr);
  }
  const output = parseMergeTreeOutput(result.stdout);
  if (!output) {
    const shown = result.stderr.trim() || `unexpected output: ${JSON.stringify(result.stdout.toString("utf8").slice(0, 200))}`;
    throw new MergeError("failed", args, result.exitCode, shown);
  }
  if (result.exitCode === 0) return { clean: true, tree: output.tree };

  const labels = options.labels ?? { ours: "ours", theirs: "theirs" };
  let details = classifyConflicts(output, { ours, theirs }, labels);
  const config = details.find((c) => c.path === SECTION_CONFIG_FILE);
  if (config && (config.kind === "content" || config.kind === "add/add")) {
    const resolved = await mergeConfigStages(
      repoPath,
      output.stages.filter((s) => s.path === SECTION_CONFIG_FILE),
    );
    if (resolved.ok) {
      details = details.filter((c) => c !== config);
      if (details.length === 0) {
        const tree = await writeTreeWithChanges(repoPath, output.tree, [
          { path: SECTION_CONFIG_FILE, content: resolved.text, mode: resolved.mode },
        ]);
        return { clean: true, tree };
      }
    } else if (resolved.keyPaths) {
      const keyPaths = resolved.keyPaths;
      details = details.map((c) =>
        c === config
          ? {
              path: c.path,
              kind: "config-keys" as const,
              keyPaths,
              message: `${labels.ours} and ${labels.theirs} both changed ${keyPaths.map((k) => k || "the whole file").join(", ")} in different ways`,
            }
          : c,
      );
    }
  }
  return { clean: false, conflicts: details.map((c) => c.path), details };
}

type ConfigMerge = { ok: true; text: string; mode: "100644" | "100755" } | { ok: false; keyPaths?: string[] };

// Merges section.config.json from the stages git left (1 = base, absent for add/add; 2 = ours; 3 = theirs):
// only regular files of the same mode on both sides; text that is not UTF-8 JSON stays git's conflict.
async function mergeConfigStages(repoPath: string, stages: ConflictStage[]): Promise<ConfigMerge> {
  const at = (n: number) => stages.find((s) => s.stage === n);
  const [base, ours, theirs] = [at(1), at(2), at(3)];
  if (!ours || !theirs || ours.mode !== theirs.mode || (ours.mode !== "100644" && ours.mode !== "100755")) return { ok: false };
  const blob = (oid: string) => runGit(["cat-file", "blob", oid], { gitDir: repoPath });
  const [b, o, t] = await Promise.all([base ? blob(base.oid) : null, blob(ours.oid), blob(theirs.oid)]);
  const merged = mergeSectionConfigFiles(b, o, t);
  if (merged.ok) return { ok: true, text: merged.text, mode: ours.mode };
  return merged.code === "conflict" ? { ok: false, keyPaths: merged.conflicts.map((c) => c.path) } : { ok: false };
}

/**
 * The tree of `onto` with commit `commit` undone (what git-revert(1) computes), without a worktree: a three-way
 * merge whose base is `commit`, "ours" `onto` and "theirs" the tree of `commit`'s first parent (the empty tree for
 * a root commit). git 2.39's merge-tree has no `--merge-base`, so "theirs" is a throw-away commit object holding
 * the parent's tree with `commit` as its only parent: then the merge base git finds is exactly `commit`. The
 * object is unreferenced (git-gc(1) removes it). `commit` must be reachable from `onto` (else TypeError).
 */
export async function revertTree(repoPath: string, commit: string, onto: string, options: MergeOptions = {}): Promise<TreeMergeResult> {
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
  return mergeCommits(repoPath, onto, theirs, options);
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
