"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { environmentResource } from "@/lib/actions/resources";
import { promoteEnvironment } from "@/lib/environments/promote";
import type { FileConflict } from "@/lib/git/merge";
import type { SectionConfigIssue } from "@/lib/section-config/schema";

export type PromoteState = { error?: string; conflicts?: FileConflict[]; issues?: SectionConfigIssue[] };

const promoteSchema = z.object({
  environmentId: z.string().max(20),
  productionHead: z.string().max(64),
  environmentHead: z.string().max(64),
});

// Loaders built before the calls: made inside `accountAction({...})`, the resource's type would be left to
// inference and come out `unknown`.
const targetEnvironment = environmentResource((input: { environmentId: string }) => input.environmentId);

/**
 * Promotes an environment into Production (docs/product.md §3.4) for a member with "config.edit": exactly the heads
 * the user reviewed on the compare page are merged ("<Env> merged to Production"), after validation; a conflict
 * lists the files (and what each side did) and changes nothing. Opens Production's history.
 */
export const promoteEnvironmentAction = accountAction({
  name: "promote environment",
  schema: promoteSchema,
  resource: targetEnvironment,
  permission: "config.edit",
  what: "promote environments",
  fail: (r: Refusal): PromoteState => ({
    error:
      r.kind === "invalid"
        ? "The form was not understood. Reload the page."
        : r.kind === "unexpected"
          ? "Something went wrong on our side; nothing was promoted. Try again in a moment."
          : r.message,
  }),
  run: async ({ input, resource: { application, environment }, actor }): Promise<PromoteState> => {
    const result = await promoteEnvironment({
      application,
      environment,
      actor,
      expected: { productionHead: input.productionHead, environmentHead: input.environmentHead },
    });
    if (!result.ok) {
      if (result.code === "conflict") return { error: result.message, conflicts: result.details };
      if (result.code === "invalid") return { error: result.message, issues: result.issues };
      return { error: result.message };
    }
    const base = `/account/${application.accountId}/application/${application.id}`;
    revalidatePath(base, "layout");
    redirect(`${base}/environment/Production/history?notice=promoted&commit=${result.commit}`);
  },
});
