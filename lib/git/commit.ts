import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { GitIdentity } from "./create-repository";
import { isSafeTreePath } from "./names";
import { isObjectId, updateBranch } from "./refs";
import { GitError, runGit, runGitText } from "./run";

// Commits without a worktree: a tree is built in a private index file (GIT_INDEX_FILE in a temporary folder, so
// nothing shared is touched), written with git-write-tree(1), wrapped in a commit with git-commit-tree(1), and the
// branch is moved with a compare-and-swap (git-update-ref(1) with the expected old value).

/** One file change: new text/bytes for `path`, or `null` to delete it. `mode` defaults to the file's current one. */
export type FileChange = { path: string; content: string | Buffer | null; mode?: "100644" | "100755" };

/** A blob of a commit: its text, size, mode and id; null when missing. */
export type BlobAt = { oid: string; mode: string; size: number; content: Buffer };

/**
 * The bytes of the blob at `filePath` in `rev` (an object id — commit or tree — or a full ref `refs/heads/<b>`),
 * or null when the path does not exist or is not a file. One git-cat-file(1) `--batch` call; the name goes through
 * standard input, never argv.
 */
export async function readBlobContent(repoPath: string, rev: string, filePath: string): Promise<Buffer | null> {
  if (!isSafeTreePath(filePath) || !(isObjectId(rev) || /^refs\/heads\/[^\s:]+$/.test(rev))) return null;
  return catBlob(repoPath, `${rev}:${filePath}`);
}

/** git-cat-file(1) `--batch` for one object name; the blob's bytes, or null when it is missing or not a blob. */
async function catBlob(repoPath: string, name: string): Promise<Buffer | null> {
  const out = await runGit(["cat-file", "--batch"], { gitDir: repoPath, input: `${name}\n` });
  const newline = out.indexOf(0x0a);
  const match = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(out.subarray(0, newline === -1 ? out.length : newline).toString("utf8"));
  if (!match || match[2] !== "blob") return null;
  return out.subarray(newline + 1, newline + 1 + Number(match[3]));
}

/**
 * The blob at `filePath` in the tree of `rev` with its mode and id (git-ls-tree(1), then git-cat-file(1) of the blob),
 * or null when the path does not exist or is not a file.
 */
export async function readBlobAt(repoPath: string, rev: string, filePath: string): Promise<BlobAt | null> {
  if (!isSafeTreePath(filePath) || !(isObjectId(rev) || /^refs\/heads\/[^\s:]+$/.test(rev))) return null;
  const entry = await fileEntry(repoPath, rev, filePath);
  if (!entry) return null;
  const content = await catBlob(repoPath, entry.oid);
  return content ? { oid: entry.oid, mode: entry.mode, size: content.length, content } : null;
}

/** Mode and blob id of `filePath` in `rev`'s tree, or null (git-ls-tree(1) `-z --full-tree`, literal pathspec). */
async function fileEntry(repoPath: string, rev: string, filePath: string): Promise<{ mode: string; oid: string } | null> {
  try {
    const out = await runGit(["ls-tree", "-z", "--full-tree", rev, "--", filePath], {
      gitDir: repoPath,
      env: { GIT_LITERAL_PATHSPECS: "1" }, // the path is a name, never a glob
    });
    const record = out.toString("utf8").split("\0")[0];
    const match = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(record ?? "");
    return match && match[2] === "blob" && match[4] === filePath ? { mode: match[1], oid: match[3] } : null;
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 128) return null; // unknown revision
    throw err;
  }
}

/** The tree id of commit `rev` (git-rev-parse(1) `<rev>^{tree}`). Rejects with GitError for an unknown commit. */
export function treeOf(repoPath: string, rev: string): Promise<string> {
  if (!isObjectId(rev)) throw new TypeError(`Not an object id: ${JSON.stringify(rev)}`);
  return runGitText(["rev-parse", "--verify", `${rev}^{tree}`], { gitDir: repoPath });
}

/**
 * Writes the tree of `base` (a commit or tree id; null = empty) with `changes` applied, without a worktree:
 * git-read-tree(1) into a private GIT_INDEX_FILE, git-hash-object(1) `-w --stdin` per new content,
 * git-update-index(1) `-z --index-info` (paths on stdin; mode 0 removes), git-write-tree(1). Resolves with the
 * new tree id. Throws TypeError for an unsafe path (isSafeTreePath); the temporary index is always removed.
 */
export async function writeTreeWithChanges(repoPath: string, base: string | null, changes: readonly FileChange[]): Promise<string> {
  for (const change of changes) {
    if (!isSafeTreePath(change.path)) throw new TypeError(`Unsafe path for a repository file: ${JSON.stringify(change.path)}`);
  }
  if (base !== null && !isObjectId(base)) throw new TypeError(`Not an object id: ${JSON.stringify(base)}`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ec-index-"));
  const env = { GIT_INDEX_FILE: path.join(scratch, `index-${crypto.randomBytes(6).toString("hex")}`) };
  try {
    await runGit(base ? ["read-tree", base] : ["read-tree", "--empty"], { gitDir: repoPath, env });
    const lines = await Promise.all(
      changes.map(async (change) => {
        if (change.content === null) return `0 ${"0".repeat(40)}\t${change.path}\0`;
        const oid = await runGitText(["hash-object", "-w", "--stdin"], { gitDir: repoPath, input: change.content });
        const mode = change.mode ?? (base ? ((await fileEntry(repoPath, base, change.path))?.mode ?? "100644") : "100644");
        return `${mode === "100755" ? "100755" : "100644"} ${oid}\t${change.path}\0`;
      }),
    );
    if (lines.length > 0) await runGit(["update-index", "-z", "--index-info"], { gitDir: repoPath, env, input: lines.join("") });
    return await runGitText(["write-tree"], { gitDir: repoPath, env });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export type CommitInput = {
  tree: string;
  /** Parent commit ids, first parent first (two for a merge). */
  parents: readonly string[];
  message: string;
  /** Who made the change (the signed-in user). */
  author: GitIdentity;
  /** Who wrote the commit (the platform). */
  committer: GitIdentity;
};

/** Writes a commit object (git-commit-tree(1) `-p` per parent, message on stdin) and resolves with its id. */
export function createCommit(repoPath: string, input: CommitInput): Promise<string> {
  if (!isObjectId(input.tree) || !input.parents.every(isObjectId)) throw new TypeError("createCommit needs object ids");
  const message = input.message.endsWith("\n") ? input.message : `${input.message}\n`;
  return runGitText(["commit-tree", input.tree, ...input.parents.flatMap((p) => ["-p", p])], {
    gitDir: repoPath,
    input: message,
    env: {
      GIT_AUTHOR_NAME: input.author.name,
      GIT_AUTHOR_EMAIL: input.author.email,
      GIT_COMMITTER_NAME: input.committer.name,
      GIT_COMMITTER_EMAIL: input.committer.email,
    },
  });
}

export type CommitOnBranchResult = { ok: true; commit: string } | { ok: false; code: "moved" };

/**
 * Writes a commit (see {@link createCommit}) and moves `branch` to it from `expectedHead` in one compare-and-swap
 * (git-update-ref(1) `refs/heads/<b> <new> <old>`; {@link ZERO_OID} creates the branch). When the branch is no
 * longer at `expectedHead` (a concurrent edit won), nothing moves and `{ ok: false, code: "moved" }` comes back;
 * the unreferenced commit object is left for git-gc(1).
 */
export async function commitOnBranch(
  repoPath: string,
  branch: string,
  expectedHead: string,
  input: CommitInput,
): Promise<CommitOnBranchResult> {
  const commit = await createCommit(repoPath, input);
  const moved = await updateBranch(repoPath, branch, commit, expectedHead, input.message.split("\n")[0]);
  return moved ? { ok: true, commit } : { ok: false, code: "moved" };
}
