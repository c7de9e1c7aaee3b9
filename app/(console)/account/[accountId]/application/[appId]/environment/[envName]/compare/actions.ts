"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { actorOf, lookupEnvironment } from "@/lib/environments/access";
import { promoteEnvironment } from "@/lib/environments/promote";
import type { SectionConfigIssue } from "@/lib/section-config/schema";

export type PromoteState = { error?: string; conflicts?: string[]; issues?: SectionConfigIssue[] };

const promoteSchema = z.object({
  environmentId: z.string().max(20),
  productionHead: z.string().max(64),
  environmentHead: z.string().max(64),
});

/**
 * Promotes an environment into Production (SPEC §3.4) for a member with "environment.manage": exactly the heads
 * the user reviewed on the compare page are merged ("<Env> merged to Production"), after validation; a conflict
 * lists the files and changes nothing. Opens Production's history.
 */
export async function promoteEnvironmentAction(_prev: PromoteState, form: FormData): Promise<PromoteState> {
  const user = await requireUser();
  const input = promoteSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return { error: "The form was not understood. Reload the page." };
  const envId = toId(input.data.environmentId);
  const found = envId === null ? null : await lookupEnvironment(user, envId, "environment.manage", "promote environments");
  if (!found || !found.ok) return { error: found?.message ?? "Not found: it does not exist or you do not have access to it." };
  const { application, environment } = found.value;

  let result: Awaited<ReturnType<typeof promoteEnvironment>>;
  try {
    result = await promoteEnvironment({
      application,
      environment,
      actor: actorOf(user),
      expected: { productionHead: input.data.productionHead, environmentHead: input.data.environmentHead },
    });
  } catch (error) {
    console.error("promote failed", { userId: user.id, environmentId: environment.id }, error);
    return { error: "Something went wrong on our side; nothing was promoted. Try again in a moment." };
  }
  if (!result.ok) {
    if (result.code === "conflict") return { error: result.message, conflicts: result.conflicts };
    if (result.code === "invalid") return { error: result.message, issues: result.issues };
    return { error: result.message };
  }
  const base = `/account/${application.accountId}/application/${application.id}`;
  revalidatePath(base, "layout");
  redirect(`${base}/environment/Production/history?notice=promoted&commit=${result.commit}`);
}
