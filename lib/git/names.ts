// Name rules for what reaches git from outside: branch names and file paths inside a tree.

/**
 * The default branch of every application repository = the Production environment (docs/product.md "Repository per
 * application").
 */
export const PRODUCTION_BRANCH = "Production";

/**
 * True when `name` is a branch name git accepts (`git check-ref-format --branch` rules, git-check-ref-format(1)):
 * no control characters, space, `~ ^ : ? * [ \`, no `..`, `@{`, `//`, no component starting with `.` or ending in
 * `.lock`, not starting with `-` or `/`, not ending with `.` or `/`, not `@`.
 */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name === "@") return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  if (name.includes("..") || name.includes("@{") || name.includes("//")) return false;
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) return false;
  return name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}

/**
 * git's root refs, read from `$GIT_DIR/<name>` before any branch or tag (gitrevisions(7) rule 1; git's
 * `is_root_ref`): `HEAD`, every `*_HEAD` (FETCH_HEAD, ORIG_HEAD, MERGE_HEAD, CHERRY_PICK_HEAD, REVERT_HEAD,
 * REBASE_HEAD, BISECT_HEAD…) and these irregular ones. Lower-case: compared case-insensitively.
 */
const IRREGULAR_ROOT_REFS = new Set([
  "head",
  "auto_merge",
  "bisect_expected_rev",
  "merge_autostash",
  "notes_merge_partial",
  "notes_merge_ref",
]);

/**
 * First components that gitrevisions(7) rule 2 (`refs/<refname>`) reads as another namespace: git's own (`refs/`
 * itself through rule 1, `heads/`, `tags/`, `remotes/`, `notes/`, `stash` git-stash(1), `replace/`
 * git-replace(1), `bisect/` git-bisect(1), `rewritten/` git-rebase(1), `worktree/`, `main-worktree/`,
 * `worktrees/` gitrevisions(7), `prefetch/` git-maintenance(1), `original/` git-filter-branch(1), `namespaces/`
 * gitnamespaces(7)); and `origin`, the remote git-clone(1) names by default, so `origin/x` is its
 * remote-tracking branch `refs/remotes/origin/x` and `origin` its `refs/remotes/origin/HEAD` (rules 5 and 6).
 */
const OTHER_NAMESPACES = new Set([
  "refs",
  "heads",
  "tags",
  "remotes",
  "notes",
  "stash",
  "replace",
  "bisect",
  "rewritten",
  "worktree",
  "main-worktree",
  "worktrees",
  "prefetch",
  "original",
  "namespaces",
  "origin",
]);

/**
 * Why a branch or tag name (the part after `refs/heads/` or `refs/tags/`, e.g. `heads/Production`) would be read
 * as something else by git clients, or null when it is unambiguous. The one rule for environment names and
 * pushed refs (docs/product.md "Environments", "Git access"), following the order in which gitrevisions(7)
 * resolves a `<refname>`: `$GIT_DIR/<refname>`, `refs/<refname>`, `refs/tags/…`, `refs/heads/…`,
 * `refs/remotes/<refname>`, `refs/remotes/<refname>/HEAD`. Refused, compared case-insensitively (case-insensitive
 * file systems fold `Head` onto `HEAD`, `Tags/x` onto `tags/x`):
 * - a root ref name: `HEAD`, `*_HEAD`, `AUTO_MERGE`… ({@link IRREGULAR_ROOT_REFS});
 * - a first component naming another ref namespace (`refs/…`, `heads/…`, `tags/…`, `remotes/…`, `notes/…`,
 *   `stash`, `origin/…`: {@link OTHER_NAMESPACES});
 * - a component `HEAD` (in a clone a branch `x/HEAD` becomes `refs/remotes/origin/x/HEAD`, which is what
 *   `origin/x` resolves to by rule 6);
 * - a full object id (40 or 64 hex digits), which git takes as that object before any ref (gitrevisions(7)
 *   `<sha1>`);
 * - a component starting with `-`, which git commands would read as an option.
 * Pure; never throws. Syntax (git-check-ref-format(1)) is {@link isValidBranchName}'s job, not this one's.
 */
export function ambiguousRefNameReason(name: string): string | null {
  const parts = name.split("/");
  const lower = parts.map((part) => part.toLowerCase());
  if (parts.some((part) => part.startsWith("-"))) return `git commands would read a name starting with "-" as an option`;
  if (/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(name)) return "git reads a name of 40 or 64 hex digits as that object id, not as a ref";
  if (parts.length === 1 && (IRREGULAR_ROOT_REFS.has(lower[0]) || lower[0].endsWith("_head"))) {
    return `git reads ${name.toUpperCase()} as its own ref in the repository folder (like HEAD, FETCH_HEAD, ORIG_HEAD)`;
  }
  if (OTHER_NAMESPACES.has(lower[0])) {
    const remote = parts.length === 1 ? `refs/remotes/${name}/HEAD` : `refs/remotes/${name}`;
    const target = lower[0] === "origin" ? remote : lower[0] === "refs" ? name : `refs/${name}`;
    return `git would read "${name}" as ${target}, not as this branch or tag`;
  }
  if (lower.includes("head")) return `a part named HEAD is read as the branch a remote points at (refs/remotes/<remote>/HEAD)`;
  return null;
}

/**
 * True when `path` is a file path git can store in a tree and that cannot escape it: relative, `/`-separated,
 * no empty, `.` or `..` segments, no `.git` segment (any case), no NUL or line break.
 */
export function isSafeTreePath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || /[\0\n\r]/.test(path)) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== ".." && part.toLowerCase() !== ".git");
}
