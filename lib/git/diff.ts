import { commitParents, emptyTree } from "./merge";
import { isObjectId } from "./refs";
import { runGit } from "./run";

/** A unified diff as git prints it, possibly cut at `maxBytes` (then `truncated`), plus the paths it touches. */
export type DiffText = { text: string; truncated: boolean; files: string[] };

const DEFAULT_MAX_BYTES = 512 * 1024;

/**
 * The unified diff from tree-ish `from` to tree-ish `to` (commit or tree ids; `from` null = the empty tree):
 * git-diff(1) `--no-color --no-ext-diff --no-textconv -M -U3 <from> <to> --` with `core.quotePath=false` (names
 * shown as they are). That is the two-dot form `from..to`: the difference between the two snapshots, whatever
 * their histories. Output beyond `maxBytes` (default 512 KiB) is cut at a line end and `truncated` is set.
 */
export async function diffTrees(repoPath: string, from: string | null, to: string, options: { maxBytes?: number } = {}): Promise<DiffText> {
  if ((from !== null && !isObjectId(from)) || !isObjectId(to)) throw new TypeError("diffTrees needs object ids");
  const base = from ?? (await emptyTree(repoPath));
  const out = (
    await runGit(["-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "-U3", base, to, "--"], {
      gitDir: repoPath,
    })
  ).toString("utf8");
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let text = out;
  let truncated = false;
  if (Buffer.byteLength(out) > maxBytes) {
    const cut = Buffer.from(out).subarray(0, maxBytes).toString("utf8");
    text = cut.slice(0, cut.lastIndexOf("\n") + 1);
    truncated = true;
  }
  const files = [...out.matchAll(/^diff --git a\/(.*) b\/(.*)$/gm)].map((m) => m[2]);
  return { text, truncated, files };
}

/**
 * What commit `sha` changed: the diff from its first parent (the empty tree for a root commit). For a merge (a
 * promotion) that is what it changed on the branch it was made on. See {@link diffTrees}.
 */
export async function diffCommit(repoPath: string, sha: string, options: { maxBytes?: number } = {}): Promise<DiffText> {
  const parents = await commitParents(repoPath, sha);
  return diffTrees(repoPath, parents[0] ?? null, sha, options);
}
