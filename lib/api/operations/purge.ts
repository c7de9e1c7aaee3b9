import "server-only";
import { actorOf } from "@/lib/actions";
import { can, forbiddenMessage } from "@/lib/auth/permissions";
import { MAX_PURGE_INPUT, purgeFromBanExpression } from "@/lib/purge/expression";
import { createPurge, environmentHasVarnish, PURGE_WAIT_MS, purgeStatus, waitForPurge, type PurgeStatus } from "@/lib/purge/store";
import { apiEnvironment } from "../access";
import { defineOperation } from "../operation";
import { ApiProblem, notFoundProblem, validationProblem } from "../problem";
import { z } from "../zod";
import { environmentParams } from "./params";

// Purge (docs/product.md §10 "Purge"; Section's shape `POST …/proxy/varnish/state?banExpression=…&async=…`): no
// expression purges everything, `req.url ~ "^/prefix"` is a prefix purge (developers and up), any other expression is
// an admin's. 204 once every active node applied it (at most 30 s), else 202 with the per-node state; `async=true`
// answers 202 at once.

const purgeStateSchema = z
  .strictObject({
    id: z.number().int(),
    kind: z.enum(["all", "prefix", "url", "expression"]),
    input: z.string().openapi({ description: "The prefix, URL or expression as sent (empty for everything)" }),
    created_at: z.string().openapi({ format: "date-time" }),
    complete: z.boolean().openapi({ description: "True once every active edge node applied the purge" }),
    nodes: z.array(
      z.strictObject({
        node: z.string(),
        state: z.enum(["applied", "failed", "pending"]),
        applied_at: z.string().nullable().openapi({ format: "date-time" }),
        error: z.string().nullable(),
      }),
    ),
  })
  .openapi("PurgeState");

/** The API form of a purge's status. */
export function toPurgeBody(s: PurgeStatus) {
  return {
    id: s.id,
    kind: s.kind,
    input: s.input,
    created_at: s.createdAt.toISOString(),
    complete: s.complete,
    nodes: s.nodes.map((n) => ({ node: n.node, state: n.state, applied_at: n.appliedAt?.toISOString() ?? null, error: n.error })),
  };
}

export const purgeOperations = [
  defineOperation({
    operationId: "proxyStatePost",
    method: "post",
    path: "/account/{accountId}/application/{applicationId}/environment/{environmentName}/proxy/varnish/state",
    tags: ["Proxy"],
    summary: "Purges the environment's cache on every edge node with a Varnish ban (docs/product.md §10).",
    description: [
      'Without `banExpression` (or with `req.url ~ /`) everything of the environment is purged; `req.url ~ "^/prefix"` purges a path',
      "prefix (developers and up). Any other expression — conditions on `req.url`, `req.http.host`, `obj.status` and `obj.http.<header>`",
      "joined by `&&`, operators `==`, `!=`, `~`, `!~`, values in double quotes — needs an owner or admin. Every purge becomes a ban on",
      "object headers limited to this environment. Answers 204 once every active edge node applied it (waiting at most 30 s), else 202",
      "with each node's state; with `async=true`, 202 at once. 404 when the environment's proxy chain has no varnish; 429 after 20",
      "purges in a minute.",
    ].join(" "),
    params: environmentParams,
    query: z.object({
      banExpression: z
        .string()
        .max(MAX_PURGE_INPUT)
        .optional()
        .openapi({ description: "The Varnish ban expression (default: everything)", example: 'req.url ~ "^/images/"' }),
      async: z.enum(["true", "false"]).optional().openapi({ description: "true: answer 202 at once, without waiting for the nodes" }),
    }),
    bodyOptional: true,
    write: true,
    responses: {
      202: { description: "Accepted: not every active node has applied it yet (or async); each node's state", schema: purgeStateSchema },
      204: { description: "Every active edge node applied the ban" },
    },
    handle: async ({ caller, params, query }) => {
      const { environment, application, role, user } = await apiEnvironment(
        caller,
        params.accountId,
        params.applicationId,
        params.environmentName,
        "edge.purge",
        "purge the cache",
      );
      if (!(await environmentHasVarnish(application.repoDir, environment.name))) throw notFoundProblem();
      const parsed = purgeFromBanExpression(`e${environment.id}`, query.banExpression);
      if (!parsed.ok) throw validationProblem([{ field: "query.banExpression", message: parsed.message }]);
      if (parsed.purge.kind === "expression" && !can(role, "edge.ban"))
        throw new ApiProblem("forbidden", forbiddenMessage(role, "send a ban expression (a prefix or everything is allowed)", "edge.ban"));
      const created = await createPurge({
        environment: { id: environment.id, accountId: application.accountId, applicationId: application.id, name: environment.name },
        actor: actorOf(user),
        purge: parsed.purge,
      });
      if (!created.ok)
        throw new ApiProblem("rate-limited", created.refusal.message, {
          headers: { "retry-after": String(created.refusal.retryAfterSeconds) },
        });
      const status =
        query.async === "true"
          ? await purgeStatus(environment.id, created.id)
          : await waitForPurge(environment.id, created.id, PURGE_WAIT_MS);
      if (status?.complete && query.async !== "true") return { status: 204 };
      return { status: 202, body: status ? toPurgeBody(status) : undefined };
    },
  }),
];
