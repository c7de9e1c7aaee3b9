import { readBlobContent } from "@/lib/git/commit";
import { diffTrees, type DiffText } from "@/lib/git/diff";
import { MergeError, mergeCommits, type FileConflict, type TreeMergeResult } from "@/lib/git/merge";
import { PRODUCTION_BRANCH } from "@/lib/git/names";
import { isAncestor, resolveBranch } from "@/lib/git/refs";
import { auditActor, auditBranchMove, commitAuthor, type Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";
import { parseSectionConfigBytes, type SectionConfigIssue } from "@/lib/section-config/schema";
import { commitToEnvironment, CONFIG_FILE } from "./commit";
import type { ApplicationRow, EnvironmentRow } from "@/db/types";
import { log } from "@/lib/log";

type Target = { application: Pick<ApplicationRow, "id" | "accountId" | "repoDir">; environment: Pick<EnvironmentRow, "id" | "name"> };

/** What promoting an environment would do now, computed without changing anything. */
export type PromotionPreview =
  | { state: "production"; message: string }
  | { state: "missing"; message: string }
  | { state: "up_to_date"; productionHead: string; environmentHead: string; message: string }
  | { state: "unmergeable"; productionHead: string; environmentHead: string; message: string }
  | { state: "conflict"; productionHead: string; environmentHead: string; conflicts: string[]; details: FileConflict[]; message: string }
  | { state: "invalid"; productionHead: string; environmentHead: string; issues: SectionConfigIssue[]; diff: DiffText; message: string }
  | { state: "ready"; productionHead: string; environmentHead: string; tree: string; diff: DiffText };

/**
 * Computes the promotion of an environment into Production (docs/product.md §3.4) without touching any ref: the two heads,
 * `git merge-tree --write-tree <Production> <env>` (git-merge-tree(1)) → conflicting files, or the merged tree;
 * the merged `section.config.json` validated for Production; and the diff Production → merged tree, i.e. exactly
 * what Production would become (two-dot, so it is the real change even when Production moved on since the
 * environment branched; `diff: false` leaves it empty). `up_to_date` when Production already contains the
 * environment's head.
 */
export async function previewPromotion(target: Target, options: { diff?: boolean } = {}): Promise<PromotionPreview> {
  const name = target.environment.name;
  if (name === PRODUCTION_BRANCH) return { state: "production", message: "Production is promoted into by the other environments." };
  const repoPath = repositoryPath(target.application);
  const [productionHead, environmentHead] = await Promise.all([resolveBranch(repoPath, PRODUCTION_BRANCH), resolveBranch(repoPath, name)]);
  if (!productionHead || !environmentHead)
    return { state: "missing", message: "A branch of this promotion is missing from the repository." };
  const heads = { productionHead, environmentHead };
  if (await isAncestor(repoPath, environmentHead, productionHead)) {
    return { state: "up_to_date", ...heads, message: `Production already contains everything in ${name}: nothing to promote.` };
  }
  let merged: TreeMergeResult;
  try {
    merged = await mergeCommits(repoPath, productionHead, environmentHead, { labels: { ours: PRODUCTION_BRANCH, theirs: name } });
  } catch (err) {
    if (!(err instanceof MergeError)) throw err;
    if (err.reason === "failed") log.error({ repoPath, productionHead, environmentHead, err }, "promote: git merge-tree failed");
    return {
      state: "unmergeable",
      ...heads,
      message:
        err.reason === "unrelated_histories"
          ? `${name} and Production share no history (the ${name} branch was not made from Production), so git cannot merge them. Nothing was changed. Merge Production into ${name} with git first, then promote again.`
          : `git could not merge ${name} into Production, so nothing was changed. Try again; if it keeps failing, ask an operator to check the repository.`,
    };
  }
  if (!merged.clean) {
    return {
      state: "conflict",
      ...heads,
      conflicts: merged.conflicts,
      details: merged.details,
      message: `${name} and Production both changed ${merged.conflicts.join(", ")} in different ways, so they cannot be merged automatically. Nothing was changed. Make them agree (edit one of them), then promote again.`,
    };
  }
  // The promotion itself needs no diff (the user saw it on the preview); skipping it saves a git run.
  const diff = options.diff === false ? { text: "", truncated: false, files: [] } : await diffTrees(repoPath, productionHead, merged.tree);
  const file = await readBlobContent(repoPath, merged.tree, CONFIG_FILE);
  const checked = file ? parseSectionConfigBytes(file, { environment: PRODUCTION_BRANCH }) : null;
  if (!checked || !checked.ok) {
    const issues = checked ? checked.issues : [{ path: "", message: `${CONFIG_FILE} would be missing` }];
    return {
      state: "invalid",
      ...heads,
      issues,
      diff,
      message: "The merged configuration would be invalid for Production, so it cannot be promoted:",
    };
  }
  return { state: "ready", ...heads, tree: merged.tree, diff };
}

export type PromoteInput = Target & {
  actor: Actor;
  /** The heads the user reviewed (from the preview); the promotion is refused if either moved since. */
  expected?: { productionHead: string; environmentHead: string };
};

export type PromoteResult =
  | { ok: true; commit: string }
  | { ok: false; code: "changed" | "refused"; message: string }
  | { ok: false; code: "conflict"; conflicts: string[]; details: FileConflict[]; message: string }
  | { ok: false; code: "invalid"; issues: SectionConfigIssue[]; message: string };

/**
 * Promotes an environment: merges it into Production with `--no-ff` semantics — always a merge commit with two
 * parents (Production's head, the environment's head), message "<Env> merged to Production", author the actor —
 * after {@link previewPromotion}: a conflict lists the files and changes nothing; the merged configuration is
 * validated for Production BEFORE Production moves (lib/environments/commit); Production moves by
 * compare-and-swap from the head that was merged. With `expected`, heads that moved since the user reviewed the
 * diff are refused ("changed"). Writes the `environment.promote` audit row.
 */
export async function promoteEnvironment(input: PromoteInput): Promise<PromoteResult> {
  const preview = await previewPromotion(input, { diff: false });
  const name = input.environment.name;
  if (preview.state === "production" || preview.state === "missing" || preview.state === "up_to_date" || preview.state === "unmergeable") {
    return { ok: false, code: "refused", message: preview.message };
  }
  if (
    input.expected &&
    (input.expected.productionHead !== preview.productionHead || input.expected.environmentHead !== preview.environmentHead)
  ) {
    return {
      ok: false,
      code: "changed",
      message: `${name} or Production changed since you reviewed the diff; nothing was promoted. Review the new diff.`,
    };
  }
  if (preview.state === "conflict") {
    return { ok: false, code: "conflict", conflicts: preview.conflicts, details: preview.details, message: preview.message };
  }
  if (preview.state === "invalid") return { ok: false, code: "invalid", issues: preview.issues, message: preview.message };

  const repoPath = repositoryPath(input.application);
  const committed = await commitToEnvironment({
    repoPath,
    environment: PRODUCTION_BRANCH,
    expectedHead: preview.productionHead,
    tree: preview.tree,
    parents: [preview.productionHead, preview.environmentHead],
    message: `${name} merged to Production`,
    author: await commitAuthor(input.actor),
  });
  if (!committed.ok) {
    if (committed.code === "moved")
      return { ok: false, code: "changed", message: "Production changed meanwhile; nothing was promoted. Review the new diff." };
    return {
      ok: false,
      code: "invalid",
      issues: committed.issues,
      message: "The merged configuration would be invalid for Production, so it cannot be promoted:",
    };
  }
  await auditBranchMove(
    {
      accountId: input.application.accountId,
      actor: auditActor(input.actor),
      action: "environment.promote",
      targetType: "environment",
      targetId: input.environment.id,
      targetLabel: name,
      data: {
        applicationId: input.application.id,
        commit: committed.commit,
        production: preview.productionHead,
        environmentHead: preview.environmentHead,
      },
    },
    { repoPath, branch: PRODUCTION_BRANCH, from: preview.productionHead, to: committed.commit },
  );
  return { ok: true, commit: committed.commit };
}
