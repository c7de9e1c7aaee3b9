import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import type { Operation } from "./operation";
import { PROBLEMS, PROBLEM_CONTENT_TYPE, type ProblemKind } from "./problem";
import { problemSchema } from "./schemas";

// The OpenAPI 3.1 document of REST API v1 (docs/product.md §3.6), generated (@asteasolutions/zod-to-openapi) from the same
// operation declarations — paths, zod schemas, responses — that the router serves, so it cannot drift.

/**
 * Every problem `op` can answer, documented in one place from what the router does and what the operation declares:
 * the router's own (token 401, rate limit 429, 500; a handler may refuse input it checks itself with 400
 * `validation` and anything it cannot find with 404), the account's (403 `two-factor-required`, `forbidden`), a
 * write's (403 `read-only-token`), a body's (400 malformed/too large/too deep, 415) and `op.problems`.
 */
export function documentedProblems(op: Operation): ProblemKind[] {
  const kinds = new Set<ProblemKind>();
  if (op.auth !== false) (["validation", "unauthorized", "not-found", "rate-limited"] as const).forEach((k) => kinds.add(k));
  if (op.path.includes("{accountId}")) (["two-factor-required", "forbidden"] as const).forEach((k) => kinds.add(k));
  if (op.write) (["forbidden", "read-only-token"] as const).forEach((k) => kinds.add(k));
  if (op.body)
    (["validation", "malformed-json", "body-too-large", "body-too-deep", "unsupported-media-type"] as const).forEach((k) => kinds.add(k));
  if (op.query) kinds.add("validation");
  for (const k of op.problems ?? []) kinds.add(k);
  kinds.add("internal");
  return [...kinds];
}

/** Response headers as OpenAPI header objects (all of ours are strings). */
function plainHeaders(headers: Record<string, { description: string }>) {
  return Object.fromEntries(Object.entries(headers).map(([name, h]) => [name, { description: h.description, schema: { type: "string" } }]));
}

/** Builds the OpenAPI 3.1 document of `operations`; `serverUrl` is where the API is served (APP_URL + /api/v1). */
export function buildOpenApiDocument(operations: readonly Operation[], serverUrl: string) {
  const registry = new OpenAPIRegistry();
  registry.register("Problem", problemSchema);
  const bearer = registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A personal API token (`ec_…`) from Settings → API tokens.",
  });
  const sectionToken = registry.registerComponent("securitySchemes", "sectionToken", {
    type: "apiKey",
    in: "header",
    name: "section-token",
    description: "The same token in Section's `section-token` header.",
  });
  for (const op of operations) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(op.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.headers ? { headers: plainHeaders(spec.headers) } : {}),
        ...(spec.schema ? { content: { "application/json": { schema: spec.schema } } } : {}),
      };
    }
    const byStatus = new Map<number, ProblemKind[]>();
    for (const kind of documentedProblems(op)) byStatus.set(PROBLEMS[kind].status, [...(byStatus.get(PROBLEMS[kind].status) ?? []), kind]);
    for (const [status, kinds] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: kinds.map((k) => `${PROBLEMS[k].title} (\`${k}\`)`).join("; "),
        ...(status === 429 ? { headers: plainHeaders({ "Retry-After": { description: "Seconds to wait." } }) } : {}),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
      };
    }
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      tags: op.tags,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      security: op.auth === false ? [] : [{ [bearer.name]: [] }, { [sectionToken.name]: [] }],
      request: {
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { query: op.query } : {}),
        ...(op.headers ? { headers: op.headers } : {}),
        ...(op.body
          ? { body: { required: !op.bodyOptional, content: { [op.bodyContentType ?? "application/json"]: { schema: op.body } } } }
          : {}),
      },
      responses: responses as never,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Edge Console API",
      version: "1.0.0",
      description:
        "REST API v1 of Edge Console (docs/product.md §3.6), following Section's API v1 where it has the same resources. Every path also answers with Section's trailing slash. Lists are bare arrays; further pages are in the `Link` header (rel=\"next\"). Errors are RFC 9457 problem details.",
    },
    servers: [{ url: serverUrl }],
  });
}
