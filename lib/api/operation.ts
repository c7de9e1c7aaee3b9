import type { z } from "zod";
import type { ApiCaller } from "./access";
import type { ProblemKind } from "./problem";

// The shape of one REST API operation (docs/product.md §3.6). Each operation declares its path, its zod schemas (path
// parameters, query, body, responses) and its handler; the router runs the handler with parsed input and the
// OpenAPI document is generated from the very same declarations, so the two cannot drift.

export type HttpMethod = "get" | "post" | "patch" | "delete";

/** A documented response: its description and, unless empty (204), the zod schema of its JSON body. */
export type ResponseSpec = {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
};

/** What a handler answers: a status, an optional JSON body, extra headers (e.g. `Link`, `ETag`). */
export type ApiResult = { status: number; body?: unknown; headers?: Record<string, string> };

type Shape = z.ZodObject;

/** What a handler receives: the caller (token user, token), parsed path parameters, query and body. */
export type OperationContext<P extends Shape | undefined, Q extends Shape | undefined, B extends z.ZodType | undefined> = {
  caller: ApiCaller;
  params: P extends Shape ? z.output<P> : Record<string, never>;
  query: Q extends Shape ? z.output<Q> : Record<string, never>;
  body: B extends z.ZodType ? z.output<B> : undefined;
  request: Request;
  url: URL;
};

export type Operation<
  P extends Shape | undefined = Shape | undefined,
  Q extends Shape | undefined = Shape | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> = {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template below `/api/v1`, without a trailing slash (both forms answer), e.g. `/account/{accountId}`. */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  /** False only for the OpenAPI document itself; every other operation needs a token. */
  auth?: boolean;
  /** True when the operation changes something: it is refused to read-only tokens and documented with 403. */
  write?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** The body may be left out entirely (no Content-Type, empty): it is then parsed as `{}`. */
  bodyOptional?: boolean;
  /** Media type documented for the body (default `application/json`; any JSON media type is accepted). */
  bodyContentType?: string;
  /** Request headers documented (e.g. `If-Match`); checked by the handler. */
  headers?: Shape;
  responses: Record<number, ResponseSpec>;
  /** Problems this operation can answer beyond the standard ones (400/401/403/404/415/429/500). */
  problems?: ProblemKind[];
  handle: (ctx: OperationContext<P, Q, B>) => Promise<ApiResult> | ApiResult;
};

/** Declares an operation with its handler's input types inferred from its schemas. */
export function defineOperation<
  P extends Shape | undefined = undefined,
  Q extends Shape | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(op: Operation<P, Q, B>): Operation {
  return op as unknown as Operation;
}
