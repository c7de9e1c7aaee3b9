import { decodeUtf8Text, detectLineEnding, applyLineEnding } from "./encoding";
import { formatKeyPath, parseSectionConfigJson, type SectionConfigIssue } from "./schema";

// A JSON-aware three-way merge of `section.config.json`, so that two environments made from Production, each
// changing only its own `environments.<Name>` block, can both be promoted in either order: git's line merge sees
// two blocks added at the same place in the file as a conflict; key by key, they are independent changes.
// Objects merge key by key (recursively); every other value — strings, numbers, booleans, null, and arrays such
// as `proxychain` or `ip_blacklist` — is one value: taken from the side that changed it, a conflict when both
// sides changed it differently.

/** One key changed two different ways (or changed on one side, deleted on the other); `undefined` = absent. */
export type MergeConflict = {
  /** Key path as the validator prints it: `environments.Production.origin.address`, `proxychain`; `""` = the whole file. */
  path: string;
  base: unknown;
  ours: unknown;
  theirs: unknown;
};

export type Merge3Result = { clean: true; value: unknown } | { clean: false; conflicts: MergeConflict[] };

const ABSENT = Symbol("absent");
type Slot = unknown; // a JSON value or ABSENT

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Structural equality of JSON values (object key order ignored, array order significant). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Three-way merge of parsed JSON values: `base` is the common ancestor (`undefined` when the file was added on
 * both sides). Per key path: the same on both sides → kept; changed on one side only → that side's; changed the
 * same way on both → fine; changed differently on both (including changed vs deleted) → a conflict at that path,
 * unless both values are objects, which merge key by key (an object added on both sides merges against `{}`).
 * Arrays are values. Key order is `ours`', then keys only `theirs` added, in their order. Pure; conflicts come
 * in document order.
 */
export function merge3(base: unknown, ours: unknown, theirs: unknown): Merge3Result {
  const conflicts: MergeConflict[] = [];
  const value = mergeSlot(base === undefined ? ABSENT : base, ours, theirs, [], conflicts);
  return conflicts.length > 0 ? { clean: false, conflicts } : { clean: true, value };
}

function same(a: Slot, b: Slot): boolean {
  return a === ABSENT || b === ABSENT ? a === b : jsonEqual(a, b);
}

function mergeSlot(base: Slot, ours: Slot, theirs: Slot, path: (string | number)[], conflicts: MergeConflict[]): Slot {
  if (same(ours, theirs)) return ours;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;
  if (isObject(ours) && isObject(theirs)) return mergeObjects(isObject(base) ? base : {}, ours, theirs, path, conflicts);
  const shown = (v: Slot) => (v === ABSENT ? undefined : v);
  conflicts.push({ path: formatKeyPath(path), base: shown(base), ours: shown(ours), theirs: shown(theirs) });
  return ours;
}

function mergeObjects(base: JsonObject, ours: JsonObject, theirs: JsonObject, path: (string | number)[], conflicts: MergeConflict[]) {
  const at = (o: JsonObject, k: string): Slot => (Object.hasOwn(o, k) ? o[k] : ABSENT);
  const keys = [...Object.keys(ours), ...Object.keys(theirs).filter((k) => !Object.hasOwn(ours, k))];
  // Keys deleted by `ours` come back only when `theirs` changed them (then they conflict, above).
  const entries: [string, unknown][] = [];
  for (const key of keys) {
    const merged = mergeSlot(at(base, key), at(ours, key), at(theirs, key), [...path, key], conflicts);
    if (merged !== ABSENT) entries.push([key, merged]);
  }
  // Object.fromEntries defines own properties, so a key named "__proto__" stays a plain key.
  return Object.fromEntries(entries);
}

/** How a JSON file is laid out, to write a merge result the way the file was written. */
export type JsonLayout = { indent: string; eol: "\n" | "\r\n"; bom: boolean; finalNewline: boolean };

/**
 * The layout of a JSON text: indentation unit (the first indented line's leading whitespace; 2 spaces for a
 * one-line file, as the platform writes `section.config.json`), line ending (lib/section-config/encoding), BOM,
 * final line break. Pure.
 */
export function detectJsonLayout(text: string, bom = false): JsonLayout {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? "  ";
  const oneLine = !text.trimEnd().includes("\n");
  return { indent, eol: detectLineEnding(text), bom, finalNewline: oneLine || /\r?\n$/.test(text) };
}

/** `value` as JSON text in `layout` (JSON.stringify with the indentation, then the line ending, final line break, BOM). */
export function formatJson(value: unknown, layout: JsonLayout): string {
  const body = JSON.stringify(value, null, layout.indent) + (layout.finalNewline ? "\n" : "");
  return (layout.bom ? "\uFEFF" : "") + applyLineEnding(body, layout.eol);
}

/** Result of {@link mergeSectionConfigFiles}. */
export type MergeFilesResult =
  | { ok: true; text: string }
  | { ok: false; code: "conflict"; conflicts: MergeConflict[] }
  | { ok: false; code: "unreadable"; side: "base" | "ours" | "theirs"; issues: SectionConfigIssue[] };

/**
 * Three-way merge of the BYTES of three `section.config.json` versions (`base` null: added on both sides): each
 * must be UTF-8 JSON without duplicate keys (else `unreadable`, naming the side: leave the file to git's line
 * conflict); then {@link merge3}; the merged text is written in `ours`' layout (indentation, line ending, BOM,
 * final line break — 2 spaces and `\n` for the platform's own files, see serializeSectionConfig). The result is
 * not validated against the schema: the caller validates the merged tree (lib/environments/commit). Pure.
 */
export function mergeSectionConfigFiles(base: Uint8Array | null, ours: Uint8Array, theirs: Uint8Array): MergeFilesResult {
  const b = base === null ? null : readJson(base, "base");
  if (b && !b.ok) return b;
  const o = readJson(ours, "ours");
  if (!o.ok) return o;
  const t = readJson(theirs, "theirs");
  if (!t.ok) return t;
  const merged = merge3(b ? b.value : undefined, o.value, t.value);
  if (!merged.clean) return { ok: false, code: "conflict", conflicts: merged.conflicts };
  return { ok: true, text: formatJson(merged.value, detectJsonLayout(o.text, o.bom)) };
}

type ReadJson = { ok: true; value: unknown; text: string; bom: boolean } | Extract<MergeFilesResult, { code: "unreadable" }>;

function readJson(bytes: Uint8Array, side: "base" | "ours" | "theirs"): ReadJson {
  const decoded = decodeUtf8Text(bytes);
  if (!decoded.ok) return { ok: false, code: "unreadable", side, issues: [{ path: "", ...decoded.problem }] };
  const parsed = parseSectionConfigJson(decoded.text);
  if (!parsed.ok) return { ok: false, code: "unreadable", side, issues: parsed.issues };
  return { ok: true, value: parsed.value, text: decoded.text, bom: decoded.bom };
}
