import { checkEdgeCommit, edgeIssue } from "@/lib/edge/checks";
import { commitOnBranch, readBlobContent } from "@/lib/git/commit";
import { platformIdentity, type GitIdentity } from "@/lib/git/create-repository";
import { parseSectionConfigBytes, type SectionConfigIssue } from "@/lib/section-config/schema";
import { noteEdgeRepositoryChange } from "@/lib/edge/changes";

// The one door through which the console writes a commit on an environment branch (docs/product.md §3.4: "every
// new commit on an environment branch is validated first"). Saves, reverts, promotions and environment creation all
// pass here: the new tree's section.config.json is validated for the branch's environment BEFORE the commit object
// is written, and the branch then moves by compare-and-swap from the head the change was computed on.

/** The config file every environment branch holds (docs/product.md §5). */
export const CONFIG_FILE = "section.config.json";

export type EnvironmentCommitInput = {
  repoPath: string;
  /** The environment = the branch that moves. */
  environment: string;
  /** The head the change was computed on (ZERO_OID: the branch is created and must not exist yet). */
  expectedHead: string;
  tree: string;
  parents: readonly string[];
  message: string;
  author: GitIdentity;
};

export type EnvironmentCommitResult =
  { ok: true; commit: string } | { ok: false; code: "invalid"; issues: SectionConfigIssue[] } | { ok: false; code: "moved" };

/**
 * Validates the `section.config.json` of `tree` with `parseSectionConfigBytes(bytes, { environment })` (UTF-8, no
 * key twice in one object, and it must hold that environment's block) and, only when valid, commits `tree`
 * (author: the user, committer: the platform) and moves the branch from `expectedHead` (git-commit-tree(1),
 * git-update-ref(1) compare-and-swap). Between the two, the edge's checks of the tree's module files
 * (lib/edge/checks `checkEdgeCommit`: unknown or code modules, forbidden directives, varnishd/nginx/node refusals)
 * give one issue with path "" naming the file and the tool. Results:
 * `invalid` with key-path issues (nothing written), `moved` when the branch is no longer at `expectedHead`
 * (nothing moved), or the new commit id. Rejects with GitError for repository failures.
 */
export async function commitToEnvironment(input: EnvironmentCommitInput): Promise<EnvironmentCommitResult> {
  const file = await readBlobContent(input.repoPath, input.tree, CONFIG_FILE);
  if (!file) {
    return { ok: false, code: "invalid", issues: [{ path: "", message: `${CONFIG_FILE} is missing: every environment branch needs it` }] };
  }
  const checked = parseSectionConfigBytes(file, { environment: input.environment });
  if (!checked.ok) return { ok: false, code: "invalid", issues: checked.issues };
  // The edge's own policy and tools over the module files (docs/edge.md "Checks on the console").
  const edge = await checkEdgeCommit({ repoPath: input.repoPath, rev: input.tree, chain: checked.config.proxychain.map((m) => m.name) });
  if (!edge.ok) return { ok: false, code: "invalid", issues: [edgeIssue(edge)] };
  const result = await commitOnBranch(input.repoPath, input.environment, input.expectedHead, {
    tree: input.tree,
    parents: input.parents,
    message: input.message,
    author: input.author,
    committer: platformIdentity(),
  });
  if (result.ok) void noteEdgeRepositoryChange(input.repoPath); // docs/edge.md "Versions"
  return result.ok ? result : { ok: false, code: "moved" };
}
