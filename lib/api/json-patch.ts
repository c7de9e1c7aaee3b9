import jsonPatch, { type Operation as PatchOperation } from "fast-json-patch";

// Applying an RFC 6902 JSON Patch (fast-json-patch) with our own messages: each failure names the operation's
// index, its `op` and `path`, and what is wrong in the field's terms — never the library's or the engine's text
// ("Cannot set properties of undefined …").

export type PatchOutcome = { ok: true; document: unknown } | { ok: false; index: number; path: string; message: string };

/** Our text for each fast-json-patch error name (`JsonPatchError.name`). */
const REASONS: Record<string, string> = {
  TEST_OPERATION_FAILED: "the value at `path` is not the one `test` expects",
  OPERATION_PATH_UNRESOLVABLE: "`path` does not exist in the configuration",
  OPERATION_FROM_UNRESOLVABLE: "`from` does not exist in the configuration",
  OPERATION_PATH_CANNOT_ADD: "the parent of `path` does not exist",
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: "an array index in `path` must be a whole number or `-`",
  OPERATION_VALUE_OUT_OF_BOUNDS: "the array index in `path` is past the end of the array",
  OPERATION_PATH_INVALID: "`path` must be a JSON Pointer (RFC 6901) starting with `/`, or empty for the whole document",
  OPERATION_FROM_REQUIRED: "`move` and `copy` need `from`",
  OPERATION_VALUE_REQUIRED: "`add`, `replace` and `test` need `value`",
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: "`value` must be JSON",
  OPERATION_OP_INVALID: "`op` must be add, remove, replace, move, copy or test",
  OPERATION_NOT_AN_OBJECT: "each operation must be an object",
};

/** Why operation `op` failed, from what fast-json-patch threw (its `name`, or a plain TypeError). */
function reasonOf(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  if (typeof name === "string" && REASONS[name]) return REASONS[name];
  const message = String((error as { message?: unknown })?.message ?? "");
  if (/__proto__|prototype/.test(message)) return "`path` may not name `__proto__`, `constructor` or `prototype`";
  return "`path` does not lead to a place in the configuration where this operation can apply";
}

/**
 * Applies `patch` to a copy of `document`, one operation after the other (RFC 6902 §3: all or nothing). Returns the
 * new document, or the first failing operation's index and path with a message like
 * "Operation 1 (move /proxychain/0): `from` … (RFC 6902 §4.4)". `document` is never changed. An empty patch gives
 * the document unchanged (RFC 6902 allows it).
 */
export function applyJsonPatch(document: unknown, patch: readonly PatchOperation[]): PatchOutcome {
  let current: unknown = jsonPatch.deepClone(document);
  for (let index = 0; index < patch.length; index++) {
    const op = patch[index];
    const fail = (reason: string): PatchOutcome => ({
      ok: false,
      index,
      path: op.path,
      message: `Operation ${index} (${op.op} ${op.path || '""'}): ${reason}.`,
    });
    // RFC 6902 §4.4: "The from location MUST NOT be a proper prefix of the path location".
    if (op.op === "move" && op.path.startsWith(op.from + "/"))
      return fail("`from` may not be moved into one of its own children (RFC 6902 §4.4)");
    try {
      current = jsonPatch.applyOperation(current, op, true, true, true, index).newDocument;
    } catch (error) {
      return fail(reasonOf(error));
    }
  }
  return { ok: true, document: current };
}
