import { isObjectId, resolveBranch } from "./refs";
import { GitError, runGit } from "./run";

/** One commit as the history page shows it. Times are Dates (git stores seconds since the epoch). */
export type CommitInfo = {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authoredAt: Date;
  committerName: string;
  committerEmail: string;
  committedAt: Date;
  /** First line of the message. */
  subject: string;
  /** The whole message, without the trailing newline. */
  message: string;
};

// Fields separated by US (0x1f); the message comes last, so a message holding 0x1f is still read whole.
const FORMAT = "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%cn%x1f%ce%x1f%ct%x1f%B";

function parseRecord(record: string): CommitInfo | null {
  const parts = record.replace(/^\n+/, "").split("\x1f");
  if (parts.length < 9 || !isObjectId(parts[0])) return null;
  const [sha, parents, an, ae, at, cn, ce, ct] = parts;
  const message = parts.slice(8).join("\x1f").replace(/\n+$/, "");
  return {
    sha,
    parents: parents.split(" ").filter(Boolean),
    authorName: an,
    authorEmail: ae,
    authoredAt: new Date(Number(at) * 1000),
    committerName: cn,
    committerEmail: ce,
    committedAt: new Date(Number(ct) * 1000),
    subject: message.split("\n")[0] ?? "",
    message,
  };
}

export type CommitPage = { head: string; commits: CommitInfo[]; hasMore: boolean };

/**
 * A page of `branch`'s history, newest first (git-log(1) `-z --skip=<skip> -n <limit+1>` from the branch head).
 * `firstParent` (default true) follows only first parents (`--first-parent`): the changes made ON this branch —
 * edits, reverts, and each promotion as one merge — rather than every commit a merge brought in. Resolves null
 * when the branch does not exist (or its name is invalid). `limit` is clamped to 1–100, `skip` to ≥ 0.
 */
export async function listCommits(
  repoPath: string,
  branch: string,
  options: { skip?: number; limit?: number; firstParent?: boolean } = {},
): Promise<CommitPage | null> {
  const head = await resolveBranch(repoPath, branch);
  if (!head) return null;
  const limit = Math.min(100, Math.max(1, Math.floor(options.limit ?? 20)));
  const skip = Math.max(0, Math.floor(options.skip ?? 0));
  const args = ["log", "-z", FORMAT, `--skip=${skip}`, "-n", String(limit + 1)];
  if (options.firstParent ?? true) args.push("--first-parent");
  const out = (await runGit([...args, head, "--"], { gitDir: repoPath })).toString("utf8");
  const commits = out
    .split("\0")
    .map(parseRecord)
    .filter((c): c is CommitInfo => c !== null);
  return { head, commits: commits.slice(0, limit), hasMore: commits.length > limit };
}

/** One commit by id (git-log(1) `-1 --no-walk`), or null when `sha` is not an id of a commit in the repository. */
export async function getCommit(repoPath: string, sha: string): Promise<CommitInfo | null> {
  if (!isObjectId(sha)) return null;
  try {
    const out = (await runGit(["log", "-z", FORMAT, "-1", "--no-walk", `${sha}^{commit}`, "--"], { gitDir: repoPath })).toString("utf8");
    return parseRecord(out.split("\0")[0] ?? "");
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 128) return null;
    throw err;
  }
}
