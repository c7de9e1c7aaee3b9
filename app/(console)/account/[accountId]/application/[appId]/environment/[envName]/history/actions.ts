"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { environmentResource } from "@/lib/actions/resources";
import { revertCommit } from "@/lib/environments/revert";

export type RevertState = { message?: string; tone?: "error" | "success"; at?: number };

const revertSchema = z.object({ environmentId: z.string().max(20), commit: z.string().max(64) });

// Loaders built before the calls: made inside `accountAction({...})`, the resource's type would be left to
// inference and come out `unknown`.
const targetEnvironment = environmentResource((input: { environmentId: string }) => input.environmentId);

/**
 * Reverts a commit of an environment's history as a new, validated commit authored by the user (docs/product.md
 * §3.4), for a member with "config.edit". The account is derived from the environment row. Conflicts and
 * validation problems are answered as messages; nothing changes then.
 */
export const revertCommitAction = accountAction({
  name: "revert commit",
  schema: revertSchema,
  resource: targetEnvironment,
  permission: "config.edit",
  what: "revert changes",
  fail: (r: Refusal): RevertState => ({
    tone: "error",
    message: r.kind === "invalid" ? "The form was not understood. Reload the page." : r.message,
    at: Date.now(),
  }),
  run: async ({ input, resource: { application, environment }, actor }): Promise<RevertState> => {
    const result = await revertCommit({ application, environment, actor, commit: input.commit });
    if (!result.ok) return { tone: "error", message: result.message, at: Date.now() };
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return { tone: "success", message: `Reverted as a new commit ${result.commit.slice(0, 7)}.`, at: Date.now() };
  },
});
