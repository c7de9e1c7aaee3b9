import { z } from "zod";
import { sectionConfigSchema } from "./schema";

/**
 * A JSON Schema (draft 2020-12) as plain JSON: what the browser editor checks `section.config.json` against while
 * the user types (components/editor/json-schema-check.ts reads it).
 */
export type JsonSchema = {
  $schema?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  /** The server's message when `pattern` does not match (from the validator's `.regex(…, { error })`). */
  errorMessage?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  [keyword: string]: unknown;
};

let cached: JsonSchema | undefined;

/**
 * The validator's own message of a string's one `.regex(…, { error })` check ("must be a module name: …"), so the
 * editor says what the server says instead of showing the pattern; undefined for none, several or no message.
 */
function patternMessage(schema: unknown): string | undefined {
  const checks = (schema as { _zod?: { def?: { checks?: { _zod?: { def?: { format?: string; error?: unknown } } }[] } } })._zod?.def
    ?.checks;
  const regexes = (checks ?? []).map((c) => c._zod?.def).filter((d) => d?.format === "regex");
  if (regexes.length !== 1 || typeof regexes[0]?.error !== "function") return undefined;
  try {
    const made: unknown = (regexes[0].error as (issue: object) => unknown)({});
    const text = typeof made === "string" ? made : (made as { message?: unknown } | undefined)?.message;
    return typeof text === "string" && text ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JSON Schema (draft 2020-12) of `section.config.json`, exported from the one zod validator
 * (lib/section-config/schema.ts `sectionConfigSchema`, docs/product.md §5) with zod v4's `z.toJSONSchema`, so the
 * editor's checks cannot drift from the server's. It holds what JSON Schema can say — types, required keys,
 * `additionalProperties: false` for every strict object (an unknown key is refused), patterns, enums, ranges — and
 * not the checks written as code (origin addresses, IP/CIDR notation, duplicate proxy names, "at least one
 * environment"): the server still runs all of them on save. Computed once per process; about 3 kB of JSON.
 */
export function sectionConfigJsonSchema(): JsonSchema {
  cached ??= z.toJSONSchema(sectionConfigSchema, {
    target: "draft-2020-12",
    io: "input",
    // Refinements have no JSON Schema form: they are left out (the server checks them), never an exception.
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const message = patternMessage(zodSchema);
      if (message && typeof jsonSchema.pattern === "string") jsonSchema.errorMessage = message;
    },
  }) as JsonSchema;
  return cached;
}
