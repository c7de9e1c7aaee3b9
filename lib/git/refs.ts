import { GitError, runGit, runGitText } from "./run";
import { isValidBranchName } from "./names";

// Branch and tag references of a bare repository. Every name reaches git as a full refname (`refs/heads/<b>`,
// `refs/tags/<t>`), validated first, so it can never be read as an option; every move is a compare-and-swap
// (git-update-ref(1) with the expected old value), so two writers can never overwrite each other unseen.

/** The all-zero object id: as an "old value" for git-update-ref(1) it means "the ref must not exist yet". */
export const ZERO_OID = "0".repeat(40);

/** A full commit/tree object id as git prints it (SHA-1, or SHA-256 repositories). */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full lower-case object id (40 or 64 hex digits). */
export function isObjectId(value: unknown): value is string {
  return typeof value === "string" && OBJECT_ID.test(value);
}

/** `refs/heads/<branch>`; throws TypeError when the name fails {@link isValidBranchName} (git-check-ref-format(1)). */
export function branchRef(branch: string): string {
  if (!isValidBranchName(branch)) throw new TypeError(`Invalid branch name: ${JSON.stringify(branch)}`);
  return `refs/heads/${branch}`;
}

/** `refs/tags/<tag>`; throws TypeError unless the name is a valid ref name (same rules as a branch). */
export function tagRef(tag: string): string {
  if (!isValidBranchName(tag)) throw new TypeError(`Invalid tag name: ${JSON.stringify(tag)}`);
  return `refs/tags/${tag}`;
}

/**
 * The commit a full ref (`refs/heads/Production`) points at, or null when it does not exist. Uses
 * git-rev-parse(1) `--verify --quiet <ref>^{commit}`. Rejects with GitError when the repository is unreadable.
 */
export async function resolveRef(repoPath: string, ref: string): Promise<string | null> {
  if (!/^refs\/(heads|tags)\//.test(ref)) throw new TypeError(`Not a full ref name: ${JSON.stringify(ref)}`);
  try {
    return await runGitText(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { gitDir: repoPath });
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 1) return null;
    throw err;
  }
}

/** The head commit of `branch`, or null when the branch does not exist or its name is invalid. */
export async function resolveBranch(repoPath: string, branch: string): Promise<string | null> {
  if (!isValidBranchName(branch)) return null;
  return resolveRef(repoPath, `refs/heads/${branch}`);
}

/** One step of an atomic reference transaction (git-update-ref(1) `--stdin`): `old` is the expected value. */
export type RefUpdate =
  | { op: "create"; ref: string; value: string }
  | { op: "update"; ref: string; value: string; old: string }
  | { op: "delete"; ref: string; old: string };

function stdinLine(update: RefUpdate): string {
  if (!/^refs\/(heads|tags)\/[^\0\n]+$/.test(update.ref)) throw new TypeError(`Not a full ref name: ${JSON.stringify(update.ref)}`);
  const ids = update.op === "create" ? [update.value] : update.op === "update" ? [update.value, update.old] : [update.old];
  if (!ids.every(isObjectId)) throw new TypeError(`Not an object id in ${JSON.stringify(ids)}`);
  // `-z` format: fields separated by NUL, so no name or id is ever parsed as anything else.
  if (update.op === "create") return `create ${update.ref}\0${update.value}\0`;
  if (update.op === "update") return `update ${update.ref}\0${update.value}\0${update.old}\0`;
  return `delete ${update.ref}\0${update.old}\0`;
}

/**
 * Applies `updates` as ONE transaction (git-update-ref(1) `--stdin -z` with `start`/`prepare`/`commit`): all refs
 * move, or none does. Each update names the value it expects (create = must not exist), so a concurrent change
 * makes the whole transaction fail. Resolves `true` when applied, `false` when a ref was not at its expected value
 * (someone else moved it first, or a created ref already exists). Rejects with GitError for other failures.
 */
export async function updateRefs(repoPath: string, updates: readonly RefUpdate[], reflogMessage = "edge console"): Promise<boolean> {
  const input = `start\0${updates.map(stdinLine).join("")}prepare\0commit\0`;
  try {
    await runGit(["update-ref", "-m", reflogMessage, "--stdin", "-z"], { gitDir: repoPath, input });
    return true;
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    // Tell "someone moved it" apart from a broken repository: look at where each ref is now.
    for (const update of updates) {
      const now = await runGitText(["rev-parse", "--verify", "--quiet", update.ref], { gitDir: repoPath }).catch(() => null);
      const expected = update.op === "create" ? null : update.old;
      if (now !== expected) return false;
    }
    throw err;
  }
}

/**
 * Moves `branch` from `expectedOld` to `value` (compare-and-swap, git-update-ref(1) `<ref> <new> <old>`);
 * `expectedOld` = {@link ZERO_OID} creates the branch only if it does not exist. Resolves `false` when the branch
 * was not at `expectedOld` (nothing changed). Throws TypeError for an invalid name.
 */
export function updateBranch(
  repoPath: string,
  branch: string,
  value: string,
  expectedOld: string,
  reflogMessage?: string,
): Promise<boolean> {
  const ref = branchRef(branch);
  const update: RefUpdate = expectedOld === ZERO_OID ? { op: "create", ref, value } : { op: "update", ref, value, old: expectedOld };
  return updateRefs(repoPath, [update], reflogMessage);
}

/** Deletes `branch` only if it still points at `expectedOld` (git-update-ref(1) `-d`, compare-and-swap). */
export function deleteBranch(repoPath: string, branch: string, expectedOld: string, reflogMessage?: string): Promise<boolean> {
  return updateRefs(repoPath, [{ op: "delete", ref: branchRef(branch), old: expectedOld }], reflogMessage);
}

/**
 * The tag that keeps a deleted environment's branch (docs/product.md §3.4): `deleted/<name>-<YYYYMMDDTHHMMSSZ>` in UTC
 * (no `:` — git ref names cannot hold one, git-check-ref-format(1)). `attempt` > 1 appends `-<attempt>` for a
 * second deletion within the same second.
 */
export function deletedTagName(branch: string, at: Date, attempt = 1): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `deleted/${branch}-${stamp}${attempt > 1 ? `-${attempt}` : ""}`;
}

/** The first {@link deletedTagName} for `branch` at `at` that no tag of the repository holds yet. */
export async function freeDeletedTagName(repoPath: string, branch: string, at: Date = new Date()): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const tag = deletedTagName(branch, at, attempt);
    if ((await resolveRef(repoPath, tagRef(tag))) === null) return tag;
  }
}

/**
 * Deletes `branch` and keeps its head as tag `tag` (e.g. from {@link freeDeletedTagName}) in ONE atomic ref
 * transaction (git-update-ref(1) `--stdin`: both happen or neither). Resolves false when the branch is not at
 * `expectedHead` any more or the tag exists already (nothing changed).
 */
export function archiveBranchAsTag(repoPath: string, branch: string, expectedHead: string, tag: string): Promise<boolean> {
  return updateRefs(
    repoPath,
    [
      { op: "create", ref: tagRef(tag), value: expectedHead },
      { op: "delete", ref: branchRef(branch), old: expectedHead },
    ],
    `delete environment ${branch}`,
  );
}

/**
 * True when commit `ancestor` is reachable from `descendant` (or equal). git-merge-base(1) `--is-ancestor`.
 * Both must be object ids. Rejects with GitError for unknown objects.
 */
export async function isAncestor(repoPath: string, ancestor: string, descendant: string): Promise<boolean> {
  if (!isObjectId(ancestor) || !isObjectId(descendant)) throw new TypeError("isAncestor needs object ids");
  try {
    await runGit(["merge-base", "--is-ancestor", ancestor, descendant], { gitDir: repoPath });
    return true;
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 1) return false;
    throw err;
  }
}

/** Names of the tags under `refs/tags/<prefix>` (e.g. `deleted/`), sorted. git-for-each-ref(1). */
export async function listTags(repoPath: string, prefix = ""): Promise<string[]> {
  const out = await runGitText(["for-each-ref", "--format=%(refname)", `refs/tags/${prefix}`], { gitDir: repoPath });
  return out
    .split("\n")
    .filter(Boolean)
    .map((ref) => ref.slice("refs/tags/".length))
    .sort();
}

/** Names of every branch (`refs/heads/*`), sorted. git-for-each-ref(1). */
export async function listBranches(repoPath: string): Promise<string[]> {
  const out = await runGitText(["for-each-ref", "--format=%(refname)", "refs/heads/"], { gitDir: repoPath });
  return out
    .split("\n")
    .filter(Boolean)
    .map((ref) => ref.slice("refs/heads/".length))
    .sort();
}
