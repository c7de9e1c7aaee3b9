import type { JsonSchema } from "@/lib/section-config/json-schema";

/** A path into a JSON value: object keys and array indexes, e.g. `["environments", "Production", "origin"]`. */
export type JsonPath = (string | number)[];

/**
 * One problem of a JSON value against a schema. `at` says what to mark in the text: `"key"` the key at the end of
 * `path` (an unknown or misnamed key), `"value"` the value at `path` (for a missing required key, the path names
 * the missing key: mark its object).
 */
export type SchemaProblem = { path: JsonPath; at: "key" | "value"; message: string };

/** Formats a path the way the server's issues name keys (lib/section-config/schema.ts `formatKeyPath`). */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += (out ? "." : "") + key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  null: "null",
};

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === "integer") return actual === "number" && Number.isInteger(value);
  return actual === type;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeOf(value) === "object";

// Patterns are compiled once per schema string; a pattern the browser cannot compile is skipped (the server decides).
const patterns = new Map<string, RegExp | null>();
function pattern(source: string): RegExp | null {
  if (!patterns.has(source)) {
    try {
      patterns.set(source, new RegExp(source, "u"));
    } catch {
      patterns.set(source, null);
    }
  }
  return patterns.get(source) ?? null;
}

/** Follows a local `$ref` (`#/$defs/name`, `#`); an unknown reference checks nothing. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 16; hops++) {
    const ref = current.$ref;
    if (ref === "#") current = root;
    else if (ref.startsWith("#/")) {
      let target: unknown = root;
      for (const part of ref.slice(2).split("/")) {
        target = isObject(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
      }
      if (!isObject(target)) return {};
      current = target as JsonSchema;
    } else return {};
  }
  return current;
}

function checkString(value: string, schema: JsonSchema, path: JsonPath, at: SchemaProblem["at"], out: SchemaProblem[]) {
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    out.push({ path, at, message: schema.minLength === 1 ? "must not be empty" : `must be at least ${schema.minLength} characters` });
  } else if (schema.maxLength !== undefined && length > schema.maxLength) {
    out.push({ path, at, message: `must be at most ${schema.maxLength} characters` });
  } else if (schema.pattern !== undefined && pattern(schema.pattern)?.test(value) === false) {
    out.push({ path, at, message: schema.errorMessage ?? `${JSON.stringify(value)} does not match ${schema.pattern}` });
  }
}

function checkNumber(value: number, schema: JsonSchema, path: JsonPath, out: SchemaProblem[]) {
  if (schema.minimum !== undefined && value < schema.minimum)
    out.push({ path, at: "value", message: `must be at least ${schema.minimum}` });
  else if (schema.maximum !== undefined && value > schema.maximum)
    out.push({ path, at: "value", message: `must be at most ${schema.maximum}` });
  else if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
    out.push({ path, at: "value", message: `must be more than ${schema.exclusiveMinimum}` });
  } else if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
    out.push({ path, at: "value", message: `must be less than ${schema.exclusiveMaximum}` });
  }
}

function checkObject(value: Record<string, unknown>, schema: JsonSchema, root: JsonSchema, path: JsonPath, out: SchemaProblem[]) {
  const properties = schema.properties ?? {};
  const where = formatJsonPath(path);
  for (const key of schema.required ?? []) {
    if (!Object.hasOwn(value, key))
      out.push({ path: [...path, key], at: "value", message: `"${key}" is required${where ? ` in ${where}` : ""}` });
  }
  const count = Object.keys(value).length;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    out.push({ path, at: "value", message: `must hold at least ${schema.minProperties} key${schema.minProperties === 1 ? "" : "s"}` });
  }
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, key];
    if (schema.propertyNames) walk(key, schema.propertyNames, root, childPath, "key", out);
    if (Object.hasOwn(properties, key)) walk(child, properties[key], root, childPath, "value", out);
    else if (schema.additionalProperties === false) {
      // The server's own words for an unknown key (lib/section-config/schema.ts `toIssues`).
      out.push({ path: childPath, at: "key", message: `unknown key "${key}"${where ? ` in ${where}` : " at the top level"}` });
    } else if (isObject(schema.additionalProperties)) walk(child, schema.additionalProperties, root, childPath, "value", out);
  }
}

function walk(value: unknown, schemaIn: JsonSchema, root: JsonSchema, path: JsonPath, at: SchemaProblem["at"], out: SchemaProblem[]) {
  const schema = resolve(schemaIn, root);
  if (schema.allOf) for (const part of schema.allOf) walk(value, part, root, path, at, out);
  for (const choices of [schema.anyOf, schema.oneOf]) {
    if (!choices) continue;
    const tries = choices.map((choice) => {
      const found: SchemaProblem[] = [];
      walk(value, choice, root, path, at, found);
      return found;
    });
    // Valid when a choice fits; otherwise the problems of the choice that came closest.
    if (!tries.some((t) => t.length === 0) && tries.length > 0) out.push(...tries.reduce((a, b) => (b.length < a.length ? b : a)));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => hasType(value, type))) {
      out.push({ path, at, message: `must be ${types.map((type) => TYPE_WORDS[type] ?? type).join(" or ")}` });
      return;
    }
  }
  if (schema.const !== undefined && JSON.stringify(value) !== JSON.stringify(schema.const)) {
    out.push({ path, at, message: `must be ${JSON.stringify(schema.const)}` });
    return;
  }
  if (schema.enum && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    out.push({ path, at, message: `must be one of ${schema.enum.map((option) => JSON.stringify(option)).join(", ")}` });
    return;
  }
  if (typeof value === "string") checkString(value, schema, path, at, out);
  else if (typeof value === "number") checkNumber(value, schema, path, out);
  else if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      out.push({ path, at, message: `must hold at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      out.push({ path, at, message: `must hold at most ${schema.maxItems} items` });
    if (isObject(schema.items))
      value.forEach((item, index) => walk(item, schema.items as JsonSchema, root, [...path, index], "value", out));
  } else if (isObject(value)) checkObject(value, schema, root, path, out);
}

/**
 * Checks a parsed JSON value against a JSON Schema (draft 2020-12) and lists every problem with its path, in
 * document order of the walk. It knows the keywords `z.toJSONSchema` writes for `section.config.json`
 * (lib/section-config/json-schema.ts): `type`, `enum`, `const`, `pattern`, `minLength`/`maxLength`,
 * `minimum`/`maximum` (and exclusive), `properties`, `required`, `additionalProperties`, `propertyNames`,
 * `minProperties`, `items`, `minItems`/`maxItems`, `anyOf`/`oneOf`/`allOf` and local `$ref`; other keywords are
 * ignored (the server's validator has the last word). An unknown key under `additionalProperties: false` is
 * reported at the key with the server's message. Pure; never throws.
 */
export function checkJsonSchema(value: unknown, schema: JsonSchema): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  walk(value, schema, schema, [], "value", out);
  return out;
}
