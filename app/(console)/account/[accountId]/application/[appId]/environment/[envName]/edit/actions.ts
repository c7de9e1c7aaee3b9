"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { environmentResource } from "@/lib/actions/resources";
import { environmentPath } from "@/lib/environments/access";
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

/** The state of a save refused before it ran: the message, and the user's text back so nothing typed is lost. */
function refused(r: Refusal): SaveFileState {
  if (r.kind === "invalid") {
    return {
      error: r.fieldErrors.content
        ? "The file is too large to save from the browser; push it with git."
        : "The editor's form was not understood. Reload the page.",
    };
  }
  const values = { content: r.raw.content ?? "", message: r.raw.message ?? "" };
  if (r.kind === "unexpected") return { error: "Something went wrong on our side; nothing was saved. Try again in a moment.", values };
  return { error: r.message, values };
}

// Loaders built before the calls: made inside `accountAction({...})`, the resource's type would be left to
// inference and come out `unknown`.
const targetEnvironment = environmentResource((input: { environmentId: string }) => input.environmentId);

/**
 * Saves a file of an environment from the browser editor as a validated commit authored by the user
 * (docs/product.md §3.4). A stale save (the branch moved since the editor opened) is refused with the diff of what
 * changed; validation problems come back with their key paths; the user's text is always returned so nothing typed
 * is lost.
 */
export const saveFileAction = accountAction({
  name: "save file",
  schema: saveSchema,
  resource: targetEnvironment,
  permission: "config.edit",
  what: "edit the configuration",
  fail: refused,
  run: async ({ input, resource: { application, environment }, actor }): Promise<SaveFileState> => {
    const values = { content: input.content, message: input.message };
    const result = await saveFile({
      application,
      environment,
      actor,
      path: input.path,
      content: values.content,
      baseCommit: input.baseCommit,
      message: values.message,
    });
    if (!result.ok) {
      if (result.code === "stale") return { error: result.message, stale: { head: result.head, diff: result.diff }, values };
      if (result.code === "invalid") return { error: result.message, issues: result.issues, values };
      return { error: result.message, values };
    }
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    redirect(`${environmentPath(environment)}/history?notice=saved&commit=${result.commit}`);
  },
});
