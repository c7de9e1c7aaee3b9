import { settings } from "@/lib/config";
import { defineOperation, type ApiResult, type Operation } from "../operation";
import { z } from "../zod";

/** `GET /api/v1/openapi.json`: the OpenAPI 3.1 document (no token needed). Built lazily from the operation list. */
export const openapiOperation: Operation = defineOperation({
  operationId: "openapiDocument",
  method: "get",
  path: "/openapi.json",
  tags: ["Meta"],
  summary: "This API's OpenAPI 3.1 document, generated from the schemas the handlers use.",
  auth: false,
  responses: { 200: { description: "OpenAPI 3.1 document", schema: z.record(z.string(), z.unknown()) } },
  handle: async (): Promise<ApiResult> => {
    const { apiDocument } = await import("../document");
    return { status: 200, body: apiDocument(settings().appUrl) };
  },
});
