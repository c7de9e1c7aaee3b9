import "server-only";
import type { z } from "zod";
import { authenticateToken, recordReadOnlyRefusal } from "@/lib/api-tokens";
import { consumeApiRateLimit } from "@/lib/rate-limit";
import { requestInfo } from "@/lib/security-log/request-info";
import type { ApiCaller } from "./access";
import { readJsonBody } from "./body";
import type { ApiResult, HttpMethod, Operation } from "./operation";
import { ApiProblem, notFoundProblem, problemResponse, validationProblem, type FieldError } from "./problem";
import { tokenFromApiRequest } from "./token";
import { annotateRequest, log } from "@/lib/log";

// The one wrapper every REST API request goes through (docs/product.md §3.6): match the path (with or without Section's
// trailing slash) → authenticate the token (Bearer or `section-token`) → per-token rate limit → parse path
// parameters (anything malformed is a 404, ids cannot be probed), query and JSON body (≤ 64 KiB, strict zod:
// unknown fields are named) → the operation's handler (authorization against the resource row, then lib) → the
// response, checked against its documented schema. Every failure is problem+json; unexpected errors are logged with
// context and answered as a 500 without internals. A write refused to a read-only token is also written to the
// token owner's security log (lib/api-tokens/write-refusals.ts).

/** Where the API lives; paths of operations are below it. */
export const API_PREFIX = "/api/v1";

type Compiled = { op: Operation; pattern: RegExp; names: string[]; score: number[] };

function compile(op: Operation): Compiled {
  const names: string[] = [];
  const score: number[] = [];
  const source = op.path
    .split("/")
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      score.push(param ? 1 : 2);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      names.push(param[1]);
      return "([^/]+)";
    })
    .join("/");
  return { op, pattern: new RegExp(`^/${source}$`), names, score };
}

function byScore(a: Compiled, b: Compiled): number {
  for (let i = 0; i < Math.max(a.score.length, b.score.length); i++) {
    const d = (b.score[i] ?? 0) - (a.score[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Turns zod issues into field errors: `name`, `domains.0.name`, `query.limit`; unknown keys each get their own. */
export function fieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: [base, key].filter(Boolean).join("."), message: "Unknown field: remove it." });
    } else {
      out.push({ field: base, message: issue.message });
    }
  }
  return out;
}

const ID_PARAM = /Id$/;
const ID_TEXT = /^[1-9][0-9]{0,15}$/;

/** Builds the request handler of a set of operations (the catch-all route of `/api/v1`). */
export function createApiRouter(operations: readonly Operation[]) {
  const compiled = operations.map(compile).sort(byScore);

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const requested = request.method.toUpperCase();
    // HEAD is GET without the body (RFC 9110 §9.3.2).
    const method = (requested === "HEAD" ? "get" : requested.toLowerCase()) as HttpMethod;
    let path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    const matches = compiled.map((c) => ({ c, m: c.pattern.exec(path) })).filter((x) => x.m !== null);
    const match = matches.find((x) => x.c.op.method === method);
    let caller: ApiCaller | null = null;
    try {
      if (matches.length === 0) throw notFoundProblem();
      const allow = allowOf(matches.filter((x) => x.c.pattern.source === matches[0].c.pattern.source).map((x) => x.c.op.method));
      // OPTIONS (RFC 9110 §9.3.7): the methods this path answers, no token needed (the path template is public).
      if (requested === "OPTIONS") return new Response(null, { status: 204, headers: { allow, "cache-control": "no-store" } });
      if (!match)
        throw new ApiProblem("method-not-allowed", `${request.method} is not allowed here; use ${allow}.`, { headers: { allow } });
      const { op, names } = match.c;
      if (op.auth !== false) {
        const value = tokenFromApiRequest(request.headers);
        const found = value === null ? null : await authenticateToken(value, { request: requestInfo(request.headers) });
        if (!found) {
          throw new ApiProblem(
            "unauthorized",
            value === null
              ? "Send an API token as `Authorization: Bearer <token>` or in the `section-token` header. Create one under Settings → API tokens."
              : "The API token is unknown, revoked or expired.",
            { headers: { "www-authenticate": 'Bearer realm="Edge Console"' } },
          );
        }
        caller = found;
        annotateRequest({ userId: found.user.id }); // every later log line of this request names the user
        const limit = await consumeApiRateLimit(found.token.id);
        if (!limit.ok) throw new ApiProblem("rate-limited", limit.message, { headers: { "retry-after": String(limit.retryAfterSeconds) } });
      }

      const rawParams: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) {
        let value: string;
        try {
          value = decodeURIComponent(match.m![i + 1]);
        } catch {
          throw notFoundProblem();
        }
        if (ID_PARAM.test(names[i]) && !ID_TEXT.test(value)) throw notFoundProblem();
        rawParams[names[i]] = value;
      }
      const params = op.params ? op.params.safeParse(rawParams) : { success: true as const, data: {} };
      if (!params.success) throw notFoundProblem();

      const rawQuery = Object.fromEntries(url.searchParams);
      const query = op.query ? op.query.safeParse(rawQuery) : { success: true as const, data: {} };
      if (!query.success) throw validationProblem(fieldErrors(query.error, "query"));

      let body: unknown = undefined;
      if (op.body) {
        const raw = await readJsonBody(request, undefined, { optional: op.bodyOptional });
        const parsed = op.body.safeParse(raw === undefined ? {} : raw);
        if (!parsed.success) throw validationProblem(fieldErrors(parsed.error));
        body = parsed.data;
      }

      const result = await op.handle({
        caller: caller as ApiCaller,
        params: params.data as never,
        query: query.data as never,
        body: body as never,
        request,
        url,
      });
      return withoutBodyFor(requested, respond(op, result));
    } catch (error) {
      if (error instanceof ApiProblem) {
        // A write refused to a read-only token goes to its owner's security log (at most once a minute per route).
        if (error.kind === "read-only-token" && caller && match) {
          await recordReadOnlyRefusal({
            token: caller.token,
            route: `${match.c.op.method.toUpperCase()} ${match.c.op.path}`,
            request: requestInfo(request.headers),
          });
        }
        return withoutBodyFor(requested, problemResponse(error));
      }
      log.error(
        { method: request.method, path: url.pathname, userId: caller?.user.id ?? null, tokenId: caller?.token.id ?? null, err: error },
        "api: unexpected error",
      );
      return withoutBodyFor(
        requested,
        problemResponse(new ApiProblem("internal", "Something went wrong on our side; nothing was changed. Try again in a moment.")),
      );
    }
  };
}

/** The `Allow` value of a path answering `methods`: those, HEAD wherever GET is, and OPTIONS (RFC 9110 §10.2.1). */
function allowOf(methods: HttpMethod[]): string {
  const out = new Set(methods.map((m) => m.toUpperCase()));
  if (out.has("GET")) out.add("HEAD");
  out.add("OPTIONS");
  return ALLOW_ORDER.filter((m) => out.has(m)).join(", ");
}

/** The order methods are listed in `Allow`. */
const ALLOW_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** The response to a HEAD request: the same status and headers as the GET, without the body (RFC 9110 §9.3.2). */
function withoutBodyFor(method: string, response: Response): Response {
  if (method !== "HEAD") return response;
  return new Response(null, { status: response.status, headers: response.headers });
}

/** The response of a handler's result; its body must match the documented schema of its status (else a 500). */
function respond(op: Operation, result: ApiResult): Response {
  const spec = op.responses[result.status];
  if (!spec) throw new Error(`${op.operationId} answered undocumented status ${result.status}`);
  const headers: Record<string, string> = { "cache-control": "no-store", ...result.headers };
  if (!spec.schema) return new Response(null, { status: result.status, headers });
  const checked = spec.schema.safeParse(result.body);
  if (!checked.success)
    throw new Error(
      `${op.operationId} answered a body that does not match its schema: ${JSON.stringify(checked.error.issues.slice(0, 3))}`,
    );
  return new Response(JSON.stringify(result.body), { status: result.status, headers: { "content-type": "application/json", ...headers } });
}
