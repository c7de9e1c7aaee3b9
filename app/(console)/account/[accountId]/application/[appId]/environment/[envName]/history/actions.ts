"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { actorOf, lookupEnvironment } from "@/lib/environments/access";
import { revertCommit } from "@/lib/environments/revert";

export type RevertState = { message?: string; tone?: "error" | "success"; at?: number };

const revertSchema = z.object({ environmentId: z.string().max(20), commit: z.string().max(64) });

/**
 * Reverts a commit of an environment's history as a new, validated commit authored by the user (SPEC §3.4), for a
 * member with "config.edit". The account is derived from the environment row. Conflicts and validation
 * problems are answered as messages; nothing changes then.
 */
export async function revertCommitAction(_prev: RevertState, form: FormData): Promise<RevertState> {
  const user = await requireUser();
  const input = revertSchema.safeParse(Object.fromEntries(form));
  const at = Date.now();
  if (!input.success) return { tone: "error", message: "The form was not understood. Reload the page.", at };
  const envId = toId(input.data.environmentId);
  const found = envId === null ? null : await lookupEnvironment(user, envId, "config.edit", "revert changes");
  if (!found || !found.ok)
    return { tone: "error", message: found?.message ?? "Not found: it does not exist or you do not have access to it.", at };
  const { application, environment } = found.value;

  let result: Awaited<ReturnType<typeof revertCommit>>;
  try {
    result = await revertCommit({ application, environment, actor: actorOf(user), commit: input.data.commit });
  } catch (error) {
    console.error("revert failed", { userId: user.id, environmentId: environment.id, commit: input.data.commit }, error);
    return { tone: "error", message: "Something went wrong on our side; nothing was changed. Try again in a moment.", at };
  }
  if (!result.ok) return { tone: "error", message: result.message, at };
  revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
  return { tone: "success", message: `Reverted as a new commit ${result.commit.slice(0, 7)}.`, at };
}
