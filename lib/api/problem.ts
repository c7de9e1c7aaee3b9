// Errors of the REST API as RFC 9457 problem details (`application/problem+json`): a stable `type` URI per kind of
// problem, a human `title` and `detail`, the HTTP `status`, and for validation errors the fields at fault.

/** Base of the stable problem type URIs (documented on the API reference page). */
export const PROBLEM_BASE = "https://edge-console.dev/problems/";

/** The media type of every error body (RFC 9457 §3). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Every kind of problem the API answers with: its status and title. The `type` is `PROBLEM_BASE + key`. */
export const PROBLEMS = {
  validation: { status: 400, title: "The request is not valid" },
  "malformed-json": { status: 400, title: "The request body is not valid JSON" },
  "body-too-large": { status: 400, title: "The request body is too large" },
  "body-too-deep": { status: 400, title: "The request body is nested too deeply" },
  unauthorized: { status: 401, title: "A valid API token is required" },
  forbidden: { status: 403, title: "Not allowed" },
  "read-only-token": { status: 403, title: "This token is read-only" },
  "two-factor-required": { status: 403, title: "The account requires two-factor authentication" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "The request conflicts with the current state" },
  "precondition-failed": { status: 412, title: "The resource changed" },
  "unsupported-media-type": { status: 415, title: "Send JSON" },
  "invalid-configuration": { status: 422, title: "The configuration would be invalid" },
  "patch-failed": { status: 422, title: "The JSON Patch cannot be applied" },
  "precondition-required": { status: 428, title: "If-Match is required" },
  "rate-limited": { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Something went wrong on our side" },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

/** One field at fault: a dotted path into the body (or `query.<name>`), and what is wrong with it. */
export type FieldError = { field: string; message: string };

/** A problem details object (RFC 9457 §3.1) plus our extension members. */
export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Section's error shape (`ErrorModel.message`): the same text as `detail`. */
  message: string;
  errors?: FieldError[];
  [extension: string]: unknown;
};

/** An expected API failure; the router turns it into a problem response. Never carries internals. */
export class ApiProblem extends Error {
  readonly kind: ProblemKind;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(kind: ProblemKind, detail: string, options: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = "ApiProblem";
    this.kind = kind;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** The standard 404 (RFC 9457): the same for a missing resource and one the token's user may not see. */
export function notFoundProblem(): ApiProblem {
  return new ApiProblem("not-found", "Not found: it does not exist or you do not have access to it.");
}

/** A 400 validation problem naming each field at fault. */
export function validationProblem(errors: FieldError[], detail?: string): ApiProblem {
  const text = detail ?? errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join(" ");
  return new ApiProblem("validation", text || "The request is not valid.", { extensions: { errors } });
}

/** The JSON body of a problem of `kind` with `detail` (RFC 9457 §3.1). */
export function problemBody(kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}): ProblemBody {
  const { status, title } = PROBLEMS[kind];
  return { type: PROBLEM_BASE + kind, title, status, detail, message: detail, ...extensions };
}

/** A problem response: status of `kind`, `Content-Type: application/problem+json`, `Cache-Control: no-store`. */
export function problemResponse(problem: ApiProblem): Response {
  const body = problemBody(problem.kind, problem.message, problem.extensions);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store", ...problem.headers },
  });
}
