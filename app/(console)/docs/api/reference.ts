// Reading the OpenAPI 3.1 document for the reference page: operations grouped by tag, and short type strings
// (`Account[]`, `{ name: string, … }`, `"a" | "b"`) for JSON Schemas.

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  description?: string;
  format?: string;
  const?: unknown;
};

type Doc = { paths?: Record<string, Record<string, unknown>>; components?: { schemas?: Record<string, unknown> } };

type RawOperation = {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
};

export type ReferenceOperation = {
  id: string;
  method: string;
  path: string;
  summary: string;
  description?: string;
  parameters: { name: string; in: string; required: boolean; description: string; schema: JsonSchema }[];
  body: { contentType: string; schema: JsonSchema } | null;
  responses: { status: string; description: string; schema: JsonSchema | null }[];
};

/** The document's operations grouped by their first tag, in document order. */
export function listOperations(document: unknown): { tag: string; operations: ReferenceOperation[] }[] {
  const doc = document as Doc;
  const groups = new Map<string, ReferenceOperation[]>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as RawOperation;
      const tag = op.tags?.[0] ?? "Other";
      const body = op.requestBody ? Object.entries(op.requestBody.content)[0] : null;
      groups.set(tag, [
        ...(groups.get(tag) ?? []),
        {
          id: op.operationId,
          method,
          path,
          summary: op.summary ?? "",
          description: op.description,
          parameters: (op.parameters ?? []).map((p) => ({
            name: p.name,
            in: p.in,
            required: !!p.required,
            description: p.description ?? p.schema?.description ?? "",
            schema: p.schema ?? {},
          })),
          body: body ? { contentType: body[0], schema: body[1].schema } : null,
          responses: Object.entries(op.responses).map(([status, r]) => ({
            status,
            description: r.description,
            schema: r.content ? Object.values(r.content)[0].schema : null,
          })),
        },
      ]);
    }
  }
  return [...groups].map(([tag, operations]) => ({ tag, operations }));
}

/** True when a schema only annotates (description, format…) and says nothing about the type, e.g. `allOf: [{ $ref }, { description }]`. */
function annotationOnly(schema: JsonSchema): boolean {
  return (
    !schema.$ref &&
    !schema.type &&
    !schema.enum &&
    schema.const === undefined &&
    !schema.anyOf &&
    !schema.oneOf &&
    !schema.allOf &&
    !schema.properties &&
    !schema.items
  );
}

/**
 * A one-line type for a schema: a component name, `T[]` (`(A | B)[]` for a union), an enum, or `{ a, b? }` for an
 * inline object. Parts of an `allOf` that only annotate (a description next to a `$ref`) are left out.
 */
export function describeSchema(schema: JsonSchema | undefined, depth = 0): string {
  if (!schema) return "any";
  if (schema.$ref) return schema.$ref.split("/").pop() ?? "object";
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => describeSchema(s, depth)).join(" | ");
  if (schema.allOf) {
    const parts = schema.allOf.filter((s) => !annotationOnly(s));
    return parts.length === 0
      ? "any"
      : parts.map((s) => (parts.length > 1 ? grouped(describeSchema(s, depth)) : describeSchema(s, depth))).join(" & ");
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 1 && types[0] === "null") return "null";
  const main = types.find((t) => t !== "null");
  const nullable = types.includes("null") ? " | null" : "";
  if (main === "array") return `${grouped(describeSchema(schema.items, depth))}[]${nullable}`;
  if (main === "object" || schema.properties) {
    if (!schema.properties)
      return schema.additionalProperties && typeof schema.additionalProperties === "object"
        ? `{ [key]: ${describeSchema(schema.additionalProperties, depth)} }`
        : "object";
    if (depth > 0) return "object";
    const required = new Set(schema.required ?? []);
    return `{ ${Object.entries(schema.properties)
      .map(([k, v]) => `${k}${required.has(k) ? "" : "?"}: ${describeSchema(v, depth + 1)}`)
      .join(", ")} }`;
  }
  if (main) return `${main}${schema.format ? ` (${schema.format})` : ""}${nullable}`;
  return "any";
}

/** `A | B` → `(A | B)`, so a suffix (`[]`) or `&` applies to the whole union; `{ a: A | B }` stays as it is. */
function grouped(type: string): string {
  return / [|&] /.test(type) && !type.startsWith("{") ? `(${type})` : type;
}

/** The fields of an object schema: name, whether required, type and description. */
export function schemaFields(schema: JsonSchema): { name: string; required: boolean; type: string; description: string }[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    required: required.has(name),
    type: describeSchema(s, 1),
    description: s.description ?? "",
  }));
}
