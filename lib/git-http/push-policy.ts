import { ENVIRONMENT_NAME_PATTERN } from "@/lib/section-config/schema";
import { ambiguousRefNameReason, isValidBranchName } from "@/lib/git/names";

// What a pushed ref is, for the pre-receive rules of docs/product.md "Git access": environment branches are checked,
// other branches are plain, tags are allowed, names git clients would misread and anything outside refs/heads and
// refs/tags are refused. Pure: no git, no database.

/** One line of a pre-/post-receive hook's standard input (githooks(5)): `<old-oid> <new-oid> <ref-name>`. */
export type RefUpdate = { oldOid: string; newOid: string; ref: string };

/** What a pushed ref is in relation to the application's environments. */
export type RefKind =
  /** A branch of an existing environment (`existing` = its exact name), or an environment-named new branch (`existing` null). */
  | { kind: "environment"; branch: string; existing: string | null }
  /** A branch whose name differs only in case from an existing environment's (e.g. `production`). */
  | { kind: "case-conflict"; branch: string; environment: string }
  /** Any other branch (`feature/x`, `my-fix`, `2024`): not validated. */
  | { kind: "branch"; branch: string }
  | { kind: "tag"; tag: string }
  /** `refs/notes/…`, `refs/pull/…` and the like: not accepted. */
  | { kind: "unsupported" }
  /** Refs the console keeps for itself (`refs/tags/deleted/…`, the archive of deleted environments; `deletable`
   * false) or names git clients would misread ({@link ambiguousRefNameReason}: `HEAD`, `FETCH_HEAD`, `heads/x`,
   * `-x`…; `deletable` true: removing one left from before this rule only ends the ambiguity): never created or moved
   * by a push. */
  | { kind: "reserved"; reason: string; deletable: boolean };

/** An object id of git's SHA-1 (40 hex) or SHA-256 (64 hex) format. */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for the all-zero id git uses for "no object" (a created ref's old value, a deleted ref's new value). */
export function isZeroId(oid: string): boolean {
  return /^0+$/.test(oid);
}

/**
 * True when a branch name could name an environment: `^[A-Za-z][A-Za-z0-9]*$` (docs/product.md "Environments"), a
 * valid branch name (git-check-ref-format(1)) and not one git clients read as another ref ({@link ambiguousRefNameReason}).
 */
export function isEnvironmentBranchName(name: string): boolean {
  return ENVIRONMENT_NAME_PATTERN.test(name) && isValidBranchName(name) && ambiguousRefNameReason(name) === null;
}

/**
 * Classifies `ref` (a full ref name, `refs/heads/Staging`) against the application's environment names (exact case).
 * A branch or tag name that git clients would read as another ref is `reserved` ({@link ambiguousRefNameReason},
 * gitrevisions(7)), except the exact name of an existing environment (one made before that rule keeps working).
 * Pure; never throws.
 */
export function classifyRef(ref: string, environments: readonly string[]): RefKind {
  if (ref.startsWith("refs/tags/deleted/")) {
    return {
      kind: "reserved",
      reason: "tags under deleted/ keep the branches of deleted environments and are managed by the console",
      deletable: false,
    };
  }
  if (ref.startsWith("refs/tags/") && ref.length > "refs/tags/".length) {
    const tag = ref.slice("refs/tags/".length);
    const reason = ambiguousRefNameReason(tag);
    return reason ? { kind: "reserved", reason, deletable: true } : { kind: "tag", tag };
  }
  if (!ref.startsWith("refs/heads/") || ref.length === "refs/heads/".length) return { kind: "unsupported" };
  const branch = ref.slice("refs/heads/".length);
  if (environments.includes(branch)) return { kind: "environment", branch, existing: branch };
  const reason = ambiguousRefNameReason(branch);
  if (reason) return { kind: "reserved", reason, deletable: true };
  const lower = branch.toLowerCase();
  const twin = environments.find((env) => env.toLowerCase() === lower);
  if (twin) return { kind: "case-conflict", branch, environment: twin };
  if (isEnvironmentBranchName(branch)) return { kind: "environment", branch, existing: null };
  return { kind: "branch", branch };
}
