import type { SyntaxNode, Tree } from "@lezer/common";
import type { JsonSchema } from "@/lib/section-config/json-schema";
import { findDuplicateKeys, locateJsonSyntaxError } from "@/lib/section-config/json-error";
import { checkJsonSchema, formatJsonPath, type JsonPath } from "./json-schema-check";

/** A problem in a JSON text: a character range (UTF-16 offsets, `to` ≥ `from`) and the message to show there. */
export type TextProblem = { from: number; to: number; message: string };

const VALUES = new Set(["True", "False", "Null", "Number", "String", "Object", "Array"]);

/** The text of a key (`PropertyName` node, a JSON string) or null when it is not a complete string yet. */
function keyOf(node: SyntaxNode, text: string): string | null {
  try {
    const key: unknown = JSON.parse(text.slice(node.from, node.to));
    return typeof key === "string" ? key : null;
  } catch {
    return null;
  }
}

function values(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (VALUES.has(child.name)) out.push(child);
  return out;
}

/**
 * The range of the key (`at: "key"`) or value at `path` in a JSON text, from its @lezer/json syntax tree. Of two
 * equal keys the last counts, as in `JSON.parse`. An object or array value is narrowed to its key (or its opening
 * bracket at the top), so a marker sits on one line. Null when the path is not in the tree.
 */
export function locateJsonPath(tree: Tree, text: string, path: JsonPath, at: "key" | "value"): { from: number; to: number } | null {
  let node: SyntaxNode | null = values(tree.topNode)[0] ?? null;
  let key: SyntaxNode | null = null;
  for (const [index, segment] of path.entries()) {
    if (!node) return null;
    if (typeof segment === "string") {
      if (node.name !== "Object") return null;
      let property: SyntaxNode | null = null;
      for (const child of node.getChildren("Property")) {
        const name = child.getChild("PropertyName");
        if (name && keyOf(name, text) === segment) property = child;
      }
      if (!property) return null;
      key = property.getChild("PropertyName");
      if (index === path.length - 1 && at === "key" && key) return { from: key.from, to: key.to };
      node = values(property)[0] ?? null;
    } else {
      if (node.name !== "Array") return null;
      key = null;
      node = values(node)[segment] ?? null;
    }
  }
  if (!node) return key ? { from: key.from, to: key.to } : null;
  if (node.name === "Object" || node.name === "Array") return key ? { from: key.from, to: key.to } : { from: node.from, to: node.from + 1 };
  return { from: node.from, to: node.to };
}

/**
 * Lints the text of a `section.config.json` as the user types (docs/architecture.md "The configuration editor"):
 * JSON syntax errors and keys written twice with the server's own messages (lib/section-config/json-error.ts), then
 * the problems of the value against the JSON Schema exported from the zod validator (lib/section-config/json-schema.ts)
 * and, with `environment`, the branch's own block missing. Without `schema` (any other `.json` file) only syntax and
 * keys written twice. `tree` is the text's @lezer/json syntax tree. Each problem is placed on its key or value; one
 * that cannot be placed goes to the start. A UTF-8 BOM is tolerated. Pure.
 */
export function lintSectionConfig(text: string, tree: Tree, schema?: JsonSchema, environment?: string): TextProblem[] {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const source = bom ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    const located = locateJsonSyntaxError(source);
    const from = located ? located.offset + bom : text.length;
    return [
      {
        from,
        to: Math.min(from + 1, text.length),
        message: located ? `Invalid JSON: ${located.message}` : `Invalid JSON: ${(err as Error).message}`,
      },
    ];
  }
  const problems: TextProblem[] = [];
  // A path that is not in the text (a required key that is missing) is marked at its closest ancestor's key.
  const place = (path: JsonPath, at: "key" | "value", message: string) => {
    for (let rest = path, where = at; ; rest = rest.slice(0, -1), where = "key") {
      const range = locateJsonPath(tree, text, rest, where);
      if (range || rest.length === 0) {
        problems.push({ ...(range ?? { from: 0, to: Math.min(1, text.length) }), message });
        return;
      }
    }
  };
  for (const duplicate of findDuplicateKeys(source)) {
    const from = duplicate.offset + bom;
    const name = tree.resolveInner(from, 1);
    const to = name.name === "PropertyName" ? name.to : Math.min(from + 1, text.length);
    problems.push({
      from,
      to,
      message: `${formatJsonPath(duplicate.path)} appears twice; JSON would silently keep only the last one, so delete one of them`,
    });
  }
  if (schema) for (const problem of checkJsonSchema(value, schema)) place(problem.path, problem.at, problem.message);
  if (schema && environment !== undefined && problems.length === 0) {
    const environments = (value as { environments?: unknown }).environments;
    if (environments && typeof environments === "object" && !Object.hasOwn(environments, environment)) {
      place(["environments"], "key", `is missing the block of "${environment}": this branch needs its own environment's block`);
    }
  }
  return problems.sort((a, b) => a.from - b.from);
}

/**
 * The segments of a key path as the server formats it (lib/section-config/schema.ts `formatKeyPath`:
 * `environments.Production.origin.port`, `proxychain[0].image`, `environments["my env"]`), or null when `text` is
 * not such a path. The empty path is `[]`.
 */
export function parseKeyPath(text: string): JsonPath | null {
  const path: JsonPath = [];
  const segment = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  for (let rest = text; rest !== "";) {
    const m = segment.exec(rest);
    if (!m || (m[1] !== undefined && path.length === 0 && rest.startsWith("."))) return null;
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined) path.push(Number(m[2]));
    else path.push(JSON.parse(m[3]) as string);
    rest = rest.slice(m[0].length);
  }
  return path;
}

/**
 * Places the server's problems of a save (key path + message, lib/section-config/schema.ts `SectionConfigIssue`)
 * in the text they are about: each on its key (a missing key on its closest ancestor's). Problems without a path
 * (the whole file) or with a path that cannot be read are left out: the page lists them anyway. Pure.
 */
export function placeKeyPathIssues(text: string, tree: Tree, issues: readonly { path: string; message: string }[]): TextProblem[] {
  const placed: TextProblem[] = [];
  for (const issue of issues) {
    const path = issue.path ? parseKeyPath(issue.path) : null;
    if (!path || path.length === 0) continue;
    for (let rest = path; rest.length > 0; rest = rest.slice(0, -1)) {
      const range = locateJsonPath(tree, text, rest, "key");
      if (range) {
        placed.push({ ...range, message: issue.message });
        break;
      }
    }
  }
  return placed;
}
