import "server-only";
import { asc, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { environments } from "@/db/schema";
import { getEnvironmentByName } from "@/lib/applications/queries";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { actorOf } from "@/lib/actions";
import { createEnvironment } from "@/lib/environments/create";
import { deleteEnvironment } from "@/lib/environments/delete";
import { checkEnvironmentName } from "@/lib/environments/names";
import { promoteEnvironment } from "@/lib/environments/promote";
import { normaliseHostname } from "@/lib/hostname";
import { isObjectId } from "@/lib/git/refs";
import { apiApplication, apiEnvironment } from "../access";
import { defineOperation } from "../operation";
import { ApiProblem, notFoundProblem, validationProblem } from "../problem";
import { domainClaimSchema, environmentSummarySchema, promoteResultSchema } from "../schemas";
import { toDomainClaim, toEnvironmentSummary } from "../serialize";
import { z } from "../zod";
import { applicationParams, environmentParams } from "./params";

// Environments (Section: EnvironmentApiController): list, create, get; and, as the console does them, delete
// (non-Production, none of its domains live; the branch is kept as a tag) and promote (merge into Production).

const objectId = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "A full commit id (40 hexadecimal characters).");

export const environmentOperations = [
  defineOperation({
    operationId: "environmentList",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}/environment",
    tags: ["Environment"],
    summary: "The application's environments, Production first, each with its domains and go-live status.",
    params: applicationParams,
    responses: { 200: { description: "The application's environments", schema: z.array(environmentSummarySchema) } },
    handle: async ({ caller, params }) => {
      const { application } = await apiApplication(caller, params.accountId, params.applicationId, "account.read", "see environments");
      const rows = await getDb()
        .select()
        .from(environments)
        .where(eq(environments.applicationId, application.id))
        .orderBy(sql`${environments.name} <> 'Production'`, asc(environments.name));
      return { status: 200, body: await Promise.all(rows.map(toEnvironmentSummary)) };
    },
  }),

  defineOperation({
    operationId: "environmentCreate",
    method: "post",
    path: "/account/{accountId}/application/{applicationId}/environment/create",
    tags: ["Environment"],
    summary: "Creates an environment: a branch from the source environment with its own block, and one domain (docs/product.md §3.4).",
    params: applicationParams,
    write: true,
    body: z
      .strictObject({
        name: z.string().max(200).openapi({
          description: "Environment name, `^[A-Za-z][A-Za-z0-9]*$`, unique per application ignoring case.",
          example: "Staging",
        }),
        source_environment_name: z.string().max(200).openapi({ example: "Production" }),
        domain_name: z.string().max(2000).openapi({ description: "The hostname this environment serves.", example: "staging.example.com" }),
      })
      .openapi("EnvironmentCreateRequest"),
    description:
      "A domain_name another account holds is not refused: the environment is created with a claim on it instead of the domain, and the answer is 202 with the environment and `claim` (the TXT record `_edge-challenge.<hostname>` to publish; docs/product.md §3.5). A hostname used in the same account is a 409.",
    problems: ["conflict"],
    responses: {
      200: { description: "The newly created environment", schema: environmentSummarySchema },
      202: {
        description: "The environment was created; its hostname is held by another account, so a claim was made",
        schema: z.strictObject({ ...environmentSummarySchema.shape, claim: domainClaimSchema }).openapi("EnvironmentCreatedWithClaim"),
      },
    },
    handle: async ({ caller, params, body }) => {
      const { application, user } = await apiApplication(
        caller,
        params.accountId,
        params.applicationId,
        "environment.manage",
        "create environments",
      );
      const name = await checkEnvironmentName(body.name);
      const host = normaliseHostname(body.domain_name);
      const errors = [
        ...(name.ok ? [] : [{ field: "name", message: name.message }]),
        ...(host.ok ? [] : [{ field: "domain_name", message: host.message }]),
      ];
      if (errors.length > 0 || !host.ok) throw validationProblem(errors);
      const created = await createEnvironment({
        application,
        actor: actorOf(user),
        name: body.name,
        source: body.source_environment_name,
        hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
        ownershipRequired: await resolvesToEdge(host.hostname),
      });
      if (!created.ok) {
        const field = { name: "name", source: "source_environment_name", hostname: "domain_name" }[created.field];
        if (created.code === "not_found" && created.field === "name") throw notFoundProblem();
        if (created.code === "taken")
          throw new ApiProblem("conflict", created.message, { extensions: { errors: [{ field, message: created.message }] } });
        throw validationProblem([{ field, message: created.message }]);
      }
      const summary = await toEnvironmentSummary(created.environment);
      if (created.claim) return { status: 202, body: { ...summary, claim: toDomainClaim(created.claim) } };
      return { status: 200, body: summary };
    },
  }),

  defineOperation({
    operationId: "environmentGet",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}",
    tags: ["Environment"],
    summary: "One environment with its domains (`name`, `cname`, status).",
    params: environmentParams,
    responses: { 200: { description: "The environment", schema: environmentSummarySchema } },
    handle: async ({ caller, params }) => {
      const { environment } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "account.read",
        "see environments",
      );
      return { status: 200, body: await toEnvironmentSummary(environment) };
    },
  }),

  defineOperation({
    operationId: "environmentDelete",
    method: "delete",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}",
    tags: ["Environment"],
    summary: "Deletes a non-Production environment none of whose domains is live; its branch is kept as a tag `deleted/<name>-<time>`.",
    params: environmentParams,
    write: true,
    problems: ["conflict"],
    responses: { 204: { description: "Deleted" } },
    handle: async ({ caller, params }) => {
      const { application, environment, user } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "environment.manage",
        "delete environments",
      );
      // The DELETE request is the confirmation the console asks to be typed.
      const result = await deleteEnvironment({ application, environment, actor: actorOf(user), confirmation: environment.name });
      if (!result.ok) {
        if (result.code === "not_found") throw notFoundProblem();
        throw new ApiProblem("conflict", result.message);
      }
      return { status: 204 };
    },
  }),

  defineOperation({
    operationId: "environmentPromote",
    method: "post",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/promote",
    tags: ["Environment"],
    summary: 'Promotes the environment: merges it into Production ("<Env> merged to Production"), validated first (docs/product.md §3.4).',
    description:
      "A conflict lists the files and changes nothing (409, `conflicts`, and `conflict_details`: each file's kind of conflict, a sentence, and for `section.config.json` the key paths both sides changed); branches git cannot merge (no shared history) and an environment already in Production are 409 too; an invalid merged configuration is 422 with `issues`. With `production_head` and `environment_head` (the heads you reviewed), the promotion is refused (412) if either moved since.",
    params: environmentParams,
    write: true,
    bodyOptional: true,
    body: z.strictObject({ production_head: objectId.optional(), environment_head: objectId.optional() }).openapi("PromoteRequest"),
    problems: ["conflict", "precondition-failed", "invalid-configuration"],
    responses: { 200: { description: "Promoted", schema: promoteResultSchema } },
    handle: async ({ caller, params, body }) => {
      const { application, environment, user } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "config.edit",
        "promote environments",
      );
      if ((body.production_head === undefined) !== (body.environment_head === undefined)) {
        throw validationProblem([
          { field: body.production_head ? "environment_head" : "production_head", message: "Send both heads, or neither." },
        ]);
      }
      const expected =
        body.production_head && body.environment_head && isObjectId(body.production_head)
          ? { productionHead: body.production_head, environmentHead: body.environment_head }
          : undefined;
      const result = await promoteEnvironment({ application, environment, actor: actorOf(user), expected });
      if (!result.ok) {
        if (result.code === "conflict") {
          throw new ApiProblem("conflict", result.message, {
            extensions: {
              conflicts: result.conflicts,
              conflict_details: result.details.map((d) => ({
                path: d.path,
                kind: d.kind,
                message: d.message,
                ...(d.keyPaths ? { key_paths: d.keyPaths } : {}),
              })),
            },
          });
        }
        if (result.code === "invalid")
          throw new ApiProblem("invalid-configuration", result.message, { extensions: { issues: result.issues } });
        if (result.code === "changed") throw new ApiProblem("precondition-failed", result.message);
        throw new ApiProblem("conflict", result.message);
      }
      const production = await getEnvironmentByName({ applicationId: application.id, name: "Production" });
      if (!production) throw notFoundProblem();
      return { status: 200, body: { commit: result.commit, environment: await toEnvironmentSummary(production) } };
    },
  }),
];
