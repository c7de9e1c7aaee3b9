"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { actorOf, environmentPath, lookupEnvironment } from "@/lib/environments/access";
import { MAX_EDITABLE_BYTES, saveFile } from "@/lib/environments/edit";
import type { DiffText } from "@/lib/git/diff";
import type { SectionConfigIssue } from "@/lib/section-config/schema";

export type SaveFileState = {
  error?: string;
  issues?: SectionConfigIssue[];
  stale?: { head: string; diff: DiffText };
  values?: { content: string; message: string };
};

const saveSchema = z.object({
  environmentId: z.string().max(20),
  path: z.string().max(4096),
  baseCommit: z.string().max(64),
  // Twice the byte limit in characters: the exact limit (bytes of UTF-8) is checked by saveFile.
  content: z.string().max(MAX_EDITABLE_BYTES * 2),
  message: z.string().max(2000).default(""),
});

/**
 * Saves a file of an environment from the browser editor as a validated commit authored by the user (SPEC §3.4).
 * A stale save (the branch moved since the editor opened) is refused with the diff of what changed; validation
 * problems come back with their key paths; the user's text is always returned so nothing typed is lost.
 */
export async function saveFileAction(_prev: SaveFileState, form: FormData): Promise<SaveFileState> {
  const user = await requireUser();
  const input = saveSchema.safeParse(Object.fromEntries(form));
  if (!input.success) {
    const tooBig = input.error.issues.some((i) => i.path[0] === "content");
    return {
      error: tooBig
        ? "The file is too large to save from the browser; push it with git."
        : "The editor's form was not understood. Reload the page.",
    };
  }
  const values = { content: input.data.content, message: input.data.message };
  const envId = toId(input.data.environmentId);
  const found = envId === null ? null : await lookupEnvironment(user, envId, "config.edit", "edit the configuration");
  if (!found || !found.ok) return { error: found?.message ?? "Not found: it does not exist or you do not have access to it.", values };
  const { application, environment } = found.value;

  let result: Awaited<ReturnType<typeof saveFile>>;
  try {
    result = await saveFile({
      application,
      environment,
      actor: actorOf(user),
      path: input.data.path,
      content: values.content,
      baseCommit: input.data.baseCommit,
      message: values.message,
    });
  } catch (error) {
    console.error("save file failed", { userId: user.id, environmentId: environment.id, path: input.data.path }, error);
    return { error: "Something went wrong on our side; nothing was saved. Try again in a moment.", values };
  }
  if (!result.ok) {
    if (result.code === "stale") return { error: result.message, stale: { head: result.head, diff: result.diff }, values };
    if (result.code === "invalid") return { error: result.message, issues: result.issues, values };
    return { error: result.message, values };
  }
  revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
  redirect(`${environmentPath(environment)}/history?notice=saved&commit=${result.commit}`);
}
