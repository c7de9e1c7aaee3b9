import { buildOpenApiDocument } from "./openapi";
import { operations } from "./operations";

type Document = ReturnType<typeof buildOpenApiDocument>;

let cached: { url: string; doc: Document } | null = null;

/** The OpenAPI document of REST API v1 for a console at `appUrl` (built once per process). */
export function apiDocument(appUrl: string): Document {
  if (!cached || cached.url !== appUrl) cached = { url: appUrl, doc: buildOpenApiDocument(operations, `${appUrl}/api/v1`) };
  return cached.doc;
}
