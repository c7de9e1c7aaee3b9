import { treeOf } from "@/lib/git/commit";
import { getCommit } from "@/lib/git/history";
import { revertTree, type FileConflict } from "@/lib/git/merge";
import { isAncestor, isObjectId, resolveBranch } from "@/lib/git/refs";
import type { SectionConfigIssue } from "@/lib/section-config/schema";
import { auditActor, auditBranchMove, commitAuthor, type Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";
import { commitToEnvironment } from "./commit";
import type { ApplicationRow, EnvironmentRow } from "@/db/types";

export type RevertInput = {
  application: Pick<ApplicationRow, "id" | "accountId" | "repoDir">;
  environment: Pick<EnvironmentRow, "id" | "name">;
  actor: Actor;
  /** The commit to undo; must be in the branch's history. */
  commit: string;
};

export type RevertResult =
  | { ok: true; commit: string }
  | { ok: false; code: "not_found" | "unchanged" | "moved"; message: string }
  | { ok: false; code: "conflict"; conflicts: string[]; details: FileConflict[]; message: string }
  | { ok: false; code: "invalid"; issues: SectionConfigIssue[]; message: string };

/**
 * Reverts `commit` on the environment's branch as a NEW commit (what git-revert(1) does, docs/product.md §3.4), authored by
 * the actor, message `Revert "<subject>"` + `This reverts commit <sha>.`: the inverse change is computed by a
 * three-way merge in the object database (lib/git/merge revertTree, git-merge-tree(1)), so it also applies after
 * later commits; a merge commit is reverted against its first parent. Refused, nothing changed: a commit not in
 * the branch's history, a conflict with later changes (the files are listed), an inverse that changes nothing, a
 * result the validator refuses, a branch that moved meanwhile. Writes the `config.revert` audit row.
 */
export async function revertCommit(input: RevertInput): Promise<RevertResult> {
  const repoPath = repositoryPath(input.application);
  const branch = input.environment.name;
  const head = await resolveBranch(repoPath, branch);
  const target = isObjectId(input.commit) ? await getCommit(repoPath, input.commit) : null;
  if (!head || !target || !(await isAncestor(repoPath, target.sha, head))) {
    return { ok: false, code: "not_found", message: `That commit is not in the history of ${branch}.` };
  }
  const merged = await revertTree(repoPath, target.sha, head, { labels: { ours: branch, theirs: "the revert" } });
  if (!merged.clean) {
    return {
      ok: false,
      code: "conflict",
      conflicts: merged.conflicts,
      details: merged.details,
      message: `Reverting “${target.subject}” conflicts with later changes in ${merged.conflicts.join(", ")}; nothing was changed. Edit the file instead.`,
    };
  }
  if (merged.tree === (await treeOf(repoPath, head))) {
    return { ok: false, code: "unchanged", message: `Reverting “${target.subject}” would change nothing: its change is no longer there.` };
  }
  const message = `Revert "${target.subject}"\n\nThis reverts commit ${target.sha}.`;
  const committed = await commitToEnvironment({
    repoPath,
    environment: branch,
    expectedHead: head,
    tree: merged.tree,
    parents: [head],
    message,
    author: await commitAuthor(input.actor),
  });
  if (!committed.ok) {
    if (committed.code === "moved")
      return { ok: false, code: "moved", message: `${branch} changed meanwhile; nothing was reverted. Look at the history again.` };
    const issue = committed.issues[0];
    return {
      ok: false,
      code: "invalid",
      issues: committed.issues,
      message: `The result would be an invalid configuration (${issue.path || "section.config.json"}: ${issue.message}); nothing was reverted.`,
    };
  }
  await auditBranchMove(
    {
      accountId: input.application.accountId,
      actor: auditActor(input.actor),
      action: "config.revert",
      targetType: "environment",
      targetId: input.environment.id,
      targetLabel: branch,
      data: { applicationId: input.application.id, reverted: target.sha, commit: committed.commit, parent: head },
    },
    { repoPath, branch, from: head, to: committed.commit },
  );
  return { ok: true, commit: committed.commit };
}
