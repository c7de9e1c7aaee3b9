import "server-only";
import type { Operation as PatchOperation } from "fast-json-patch";
import { actorOf } from "@/lib/actions";
import { CONFIG_FILE } from "@/lib/environments/commit";
import { saveFile } from "@/lib/environments/edit";
import { readBlobAt } from "@/lib/git/commit";
import { resolveBranch } from "@/lib/git/refs";
import { repositoryPath } from "@/lib/repositories/paths";
import { decodeUtf8Text } from "@/lib/section-config/encoding";
import { formatSectionConfigIssues, parseSectionConfigJson, type SectionConfigIssue } from "@/lib/section-config/schema";
import { apiEnvironment } from "../access";
import { parseIfMatch } from "../if-match";
import { applyJsonPatch } from "../json-patch";
import { defineOperation } from "../operation";
import { ApiProblem, notFoundProblem } from "../problem";
import { environmentConfigurationSchema, patchRequestSchema } from "../schemas";
import { z } from "../zod";
import { environmentParams } from "./params";

// An environment's `section.config.json` (docs/product.md §3.4, §5; Section: getConfiguration / patchConfiguration). GET
// answers the file at the branch head with the commit as `ETag`; PATCH applies an RFC 6902 JSON Patch to it and
// commits the result through the editor's own path (lib/environments/edit `saveFile`: the one validator, a
// compare-and-swap on the branch, the audit row) — `If-Match: <commit>` is required so a stale patch is refused.

const etagHeader = { ETag: { description: "The branch head the configuration was read at (a commit id, quoted).", schema: z.string() } };

/**
 * The configuration at the branch head, read strictly: a file that is not UTF-8 (e.g. UTF-16), not JSON, holds a
 * key twice in one object (JSON.parse would silently keep the last) or is not an object is 422
 * `invalid-configuration` with the issues (key paths), never a guess; a missing branch or file is 404.
 */
async function readConfig(repoDir: string, branch: string): Promise<{ head: string; config: Record<string, unknown> }> {
  const repoPath = repositoryPath({ repoDir });
  const head = await resolveBranch(repoPath, branch);
  if (!head) throw notFoundProblem();
  const blob = await readBlobAt(repoPath, head, CONFIG_FILE);
  if (!blob) throw notFoundProblem();
  const decoded = decodeUtf8Text(blob.content);
  const parsed = decoded.ok ? parseSectionConfigJson(decoded.text) : { ok: false as const, issues: [{ path: "", ...decoded.problem }] };
  const value = parsed.ok ? parsed.value : null;
  if (!parsed.ok || typeof value !== "object" || value === null || Array.isArray(value)) {
    const issues: SectionConfigIssue[] = parsed.ok ? [{ path: "", message: "must be a JSON object" }] : parsed.issues;
    throw new ApiProblem(
      "invalid-configuration",
      `The ${branch} configuration cannot be read: ${formatSectionConfigIssues(issues).join("; ")}. Fix the file with git, then try again.`,
      { extensions: { issues } },
    );
  }
  return { head, config: value as Record<string, unknown> };
}

export const configurationOperations = [
  defineOperation({
    operationId: "getConfiguration",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/configuration",
    tags: ["Configuration"],
    summary: "The environment's `section.config.json` at its branch head; `ETag` is that commit.",
    params: environmentParams,
    problems: ["invalid-configuration"],
    responses: { 200: { description: "Environment configuration", schema: environmentConfigurationSchema, headers: etagHeader } },
    handle: async ({ caller, params }) => {
      const { application, environment } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "account.read",
        "see the configuration",
      );
      const { head, config } = await readConfig(application.repoDir, environment.name);
      return { status: 200, body: config, headers: { etag: `"${head}"` } };
    },
  }),

  defineOperation({
    operationId: "patchConfiguration",
    method: "patch",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/configuration",
    tags: ["Configuration"],
    summary: "Applies an RFC 6902 JSON Patch to `section.config.json` and commits it, validated as in the editor.",
    description:
      '`If-Match: "<commit>"` (the ETag of the GET) is required (428 without it); if the branch moved since, 412 and nothing is written. `If-Match: *` applies the patch to whatever is current (RFC 9110 §13.1.1); a weak validator (`W/…`) is refused with 412, as If-Match compares strongly. An empty patch `[]` changes nothing and answers the current configuration and its ETag. A patch that cannot be applied is 422 `patch-failed`, naming the operation (index, `op`, `path`); a result the validator refuses is 422 `invalid-configuration` with `issues` (key paths). A patch that changes nothing commits nothing.',
    params: environmentParams,
    headers: z.object({
      "If-Match": z
        .string()
        .openapi({ description: "The commit the patch was written against (ETag of the GET, strong), or `*` for any current version." }),
    }),
    write: true,
    body: patchRequestSchema,
    bodyContentType: "application/json-patch+json",
    problems: ["precondition-failed", "precondition-required", "patch-failed", "invalid-configuration"],
    responses: {
      200: {
        description: "The configuration after the patch; `ETag` is the new commit",
        schema: environmentConfigurationSchema,
        headers: etagHeader,
      },
    },
    handle: async ({ caller, params, body, request }) => {
      const { application, environment, user } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "config.edit",
        "edit the configuration",
      );
      const ifMatch = parseIfMatch(request.headers.get("if-match"));
      if (ifMatch.kind === "absent")
        throw new ApiProblem(
          "precondition-required",
          "Send If-Match with the commit of the configuration you changed (the ETag of GET …/configuration), or * for whatever is current.",
        );
      const { head, config } = await readConfig(application.repoDir, environment.name);
      if (ifMatch.kind === "commits" && !ifMatch.commits.includes(head)) {
        throw new ApiProblem(
          "precondition-failed",
          `The ${environment.name} configuration changed since ${ifMatch.commits[0].slice(0, 7)}; read it again and re-apply your patch.`,
          { headers: { etag: `"${head}"` } },
        );
      }
      // An empty patch is valid (RFC 6902 §3) and changes nothing: the current configuration, no commit.
      if (body.length === 0) return { status: 200, body: config, headers: { etag: `"${head}"` } };
      const applied = applyJsonPatch(config, body as PatchOperation[]);
      if (!applied.ok)
        throw new ApiProblem("patch-failed", `The patch cannot be applied: ${applied.message}`, {
          extensions: { errors: [{ field: String(applied.index), message: applied.message }] },
        });
      const patched = applied.document;
      const result = await saveFile({
        application,
        environment,
        actor: actorOf(user),
        path: CONFIG_FILE,
        content: JSON.stringify(patched, null, 2) + "\n",
        baseCommit: head,
        message: `Update ${CONFIG_FILE} (API)`,
      });
      if (!result.ok) {
        if (result.code === "unchanged") return { status: 200, body: config, headers: { etag: `"${head}"` } };
        if (result.code === "invalid") {
          const errors = result.issues.map((i) => ({ field: i.path, message: i.message }));
          throw new ApiProblem(
            "invalid-configuration",
            `${result.message} ${errors.map((e) => `${e.field || "(file)"}: ${e.message}`).join("; ")}`,
            { extensions: { issues: result.issues, errors } },
          );
        }
        if (result.code === "stale")
          throw new ApiProblem("precondition-failed", `The ${environment.name} configuration changed meanwhile; nothing was written.`, {
            headers: { etag: `"${result.head}"` },
          });
        throw new ApiProblem("patch-failed", result.message);
      }
      return { status: 200, body: patched, headers: { etag: `"${result.commit}"` } };
    },
  }),
];
