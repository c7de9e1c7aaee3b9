import { and, eq } from "drizzle-orm";
import { writeTransaction, first } from "@/db";
import { domains, environments } from "@/db/schema";
import { NOT_FOUND_MESSAGE } from "@/lib/actions/messages";
import { recordAudit } from "@/lib/audit/record";
import { PRODUCTION_BRANCH } from "@/lib/git/names";
import { archiveBranchAsTag, freeDeletedTagName, resolveBranch } from "@/lib/git/refs";
import { actorMay, auditActor, type Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";
import type { ApplicationRow, EnvironmentRow } from "@/db/types";
import { noteEdgeChange } from "@/lib/edge/changes";
import { log } from "@/lib/log";

export type DeleteEnvironmentInput = {
  application: Pick<ApplicationRow, "id" | "accountId" | "repoDir">;
  environment: Pick<EnvironmentRow, "id" | "name">;
  actor: Actor;
  /** What the user typed to confirm: must equal the environment's name exactly. */
  confirmation: string;
  now?: Date;
};

export type DeleteEnvironmentResult =
  | { ok: true; tag: string | null; freedHostnames: string[] }
  | { ok: false; code: "production" | "confirmation" | "live" | "not_found"; message: string };

/**
 * Deletes a non-Production environment (docs/product.md §3.4) when none of its domains is live and `confirmation` equals its
 * name: one transaction re-reads the environment, the actor's role and its domains' statuses, deletes the row
 * (its domains and their checks go with it by ON DELETE CASCADE, which frees the hostnames) and writes the
 * `environment.delete` audit row; then the branch becomes the tag `deleted/<name>-<YYYYMMDDTHHMMSSZ>` in one atomic
 * ref transaction (git-update-ref(1) `--stdin`).
 *
 * Rows first, branch second — the mirror of creation — so a row never outlives its branch: a crash in between
 * leaves the branch as a plain branch (docs/product.md §3.6), nothing half-deleted. If someone pushes to the branch in the
 * same instant, the archive is retried from the new head. Expected refusals come back as values.
 */
export async function deleteEnvironment(input: DeleteEnvironmentInput): Promise<DeleteEnvironmentResult> {
  const { environment: env, application: app } = input;
  if (env.name === PRODUCTION_BRANCH) {
    return { ok: false, code: "production", message: "The Production environment cannot be deleted: it is the application itself." };
  }
  if (input.confirmation.trim() !== env.name) {
    return { ok: false, code: "confirmation", message: `Type ${env.name} exactly to confirm.` };
  }
  const repoPath = repositoryPath(app);
  const head = await resolveBranch(repoPath, env.name);
  const tag = head ? await freeDeletedTagName(repoPath, env.name, input.now ?? new Date()) : null;

  const removed = await writeTransaction(async (tx) => {
    const row = await first(
      tx
        .select()
        .from(environments)
        .where(and(eq(environments.id, env.id), eq(environments.applicationId, app.id))),
    );
    if (!row || !(await actorMay(app.accountId, input.actor, "environment.manage"))) return null;
    const own = await tx
      .select({ hostname: domains.hostname, status: domains.status })
      .from(domains)
      .where(eq(domains.environmentId, env.id));
    const live = own.filter((d) => d.status === "live").map((d) => d.hostname);
    if (live.length > 0) return { live, freed: [] as string[] };
    await tx.delete(environments).where(eq(environments.id, env.id));
    await recordAudit(tx, {
      accountId: app.accountId,
      actor: auditActor(input.actor),
      action: "environment.delete",
      targetType: "environment",
      targetId: env.id,
      targetLabel: env.name,
      data: { applicationId: app.id, tag, head, freedHostnames: own.map((d) => d.hostname) },
    });
    return { live: [] as string[], freed: own.map((d) => d.hostname) };
  });
  if (!removed) return { ok: false, code: "not_found", message: NOT_FOUND_MESSAGE };
  if (removed.live.length > 0) {
    return {
      ok: false,
      code: "live",
      message: `${env.name} cannot be deleted while ${removed.live.join(", ")} ${removed.live.length === 1 ? "is" : "are"} live. Point ${removed.live.length === 1 ? "its" : "their"} DNS away from the edge first.`,
    };
  }

  void noteEdgeChange({ applicationId: app.id }); // docs/edge.md "Versions": the deleted environment's row is marked removed
  if (head && tag) await archive(repoPath, env.name, head, tag);
  return { ok: true, tag, freedHostnames: removed.freed };
}

/** Turns the branch into its tag, retrying from a newer head if it moved meanwhile; failures are logged only. */
async function archive(repoPath: string, branch: string, head: string, tag: string): Promise<void> {
  let current: string | null = head;
  for (let attempt = 0; attempt < 3 && current; attempt++) {
    try {
      if (await archiveBranchAsTag(repoPath, branch, current, tag)) return;
    } catch (err) {
      log.error({ err }, `deleteEnvironment: archiving ${branch} of ${repoPath} failed; it stays a plain branch`);
      return;
    }
    current = await resolveBranch(repoPath, branch);
  }
  if (current) log.error(`deleteEnvironment: ${branch} of ${repoPath} kept moving; it stays a plain branch`);
}
