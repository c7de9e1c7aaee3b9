import { GitError, runGit } from "./run";
import { isSafeTreePath, isValidBranchName } from "./names";

/** One entry of a branch's tree as listed by git-ls-tree(1) `-r --long`. */
export type TreeEntry = {
  /** Full path from the repository root, `/`-separated. */
  path: string;
  /** Octal mode as git prints it: `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  mode: string;
  type: "blob" | "commit";
  oid: string;
  /** Size in bytes; null for a submodule. */
  size: number | null;
};

/**
 * The UTF-8 text of `filePath` on branch `branch` of the bare repository `repoPath`, or `null` when the branch
 * or the file does not exist, the path is a folder, or a name is not one git could hold ({@link isValidBranchName},
 * {@link isSafeTreePath}). Uses git-cat-file(1) `--batch`, so names go through standard input, never argv.
 * Rejects with GitError when the repository itself cannot be read.
 */
export async function readBlob(repoPath: string, branch: string, filePath: string): Promise<string | null> {
  if (!isValidBranchName(branch) || !isSafeTreePath(filePath)) return null;
  const out = await runGit(["cat-file", "--batch"], { gitDir: repoPath, input: `refs/heads/${branch}:${filePath}\n` });
  const newline = out.indexOf(0x0a);
  const header = out.subarray(0, newline === -1 ? out.length : newline).toString("utf8");
  const match = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(header);
  if (!match || match[2] !== "blob") return null;
  const size = Number(match[3]);
  return out.subarray(newline + 1, newline + 1 + size).toString("utf8");
}

/**
 * Every file of branch `branch` (recursively, sorted by path as git sorts them) of the bare repository
 * `repoPath`, or `null` when the branch does not exist or its name is invalid. Uses git-ls-tree(1)
 * `-r -z --long --full-tree`. Rejects with GitError for other failures (e.g. not a repository).
 */
export async function listTree(repoPath: string, branch: string): Promise<TreeEntry[] | null> {
  if (!isValidBranchName(branch)) return null;
  const ref = `refs/heads/${branch}`;
  let out: Buffer;
  try {
    out = await runGit(["ls-tree", "-r", "-z", "--long", "--full-tree", ref], { gitDir: repoPath });
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    const exists = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { gitDir: repoPath }).then(
      () => true,
      (check) => {
        if (check instanceof GitError && check.exitCode === 1) return false;
        throw err;
      },
    );
    if (!exists) return null;
    throw err;
  }
  const entries: TreeEntry[] = [];
  for (const record of out.toString("utf8").split("\0")) {
    if (!record) continue;
    const match = /^(\d{6}) (blob|commit) ([0-9a-f]{40,64}) +(-|\d+)\t(.*)$/s.exec(record);
    if (!match) continue;
    entries.push({
      path: match[5],
      mode: match[1],
      type: match[2] as TreeEntry["type"],
      oid: match[3],
      size: match[4] === "-" ? null : Number(match[4]),
    });
  }
  return entries;
}
