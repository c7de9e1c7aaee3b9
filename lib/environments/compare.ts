import { diffTrees, type DiffText } from "@/lib/git/diff";
import { PRODUCTION_BRANCH } from "@/lib/git/names";
import { resolveBranch } from "@/lib/git/refs";
import { repositoryPath } from "@/lib/repositories/paths";
import { previewPromotion, type PromotionPreview } from "./promote";
import type { ApplicationRow, EnvironmentRow } from "@/db/types";

/** What the compare page shows: the two-dot diff with the other environment, and what promoting would do. */
export type Comparison = {
  /** From `other` to this environment (null: a branch is missing, or there is no other environment). */
  diff: DiffText | null;
  /** Null for Production, which is promoted into. */
  preview: PromotionPreview | null;
};

/**
 * The compare page of an environment (docs/product.md §3.4): the difference between its branch and `other`'s
 * (git-diff(1) two-dot: the snapshots, whatever their histories), and for an environment other than Production
 * the promotion preview (lib/environments/promote `previewPromotion`: conflicts by kind, an invalid merged
 * configuration, branches git cannot merge such as unrelated histories). Every branch a push can make — any history,
 * line endings, byte order mark, binary files — gives an answer; only a repository git cannot read throws.
 */
export async function compareEnvironment(
  target: { application: Pick<ApplicationRow, "id" | "accountId" | "repoDir">; environment: Pick<EnvironmentRow, "id" | "name"> },
  other: Pick<EnvironmentRow, "name"> | null,
): Promise<Comparison> {
  const repoPath = repositoryPath(target.application);
  const [thisHead, otherHead] = await Promise.all([
    resolveBranch(repoPath, target.environment.name),
    other ? resolveBranch(repoPath, other.name) : null,
  ]);
  const [diff, preview] = await Promise.all([
    thisHead && otherHead ? diffTrees(repoPath, otherHead, thisHead) : null,
    target.environment.name === PRODUCTION_BRANCH ? null : previewPromotion(target),
  ]);
  return { diff, preview };
}
