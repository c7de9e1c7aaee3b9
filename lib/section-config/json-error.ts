// Locates the first syntax error of a JSON text (RFC 8259) with a line and column, because V8's JSON.parse
// messages do not always carry a position ("Unexpected end of JSON input", "Unexpected token '}', ... is not
// valid JSON"); and finds duplicate object keys, which RFC 8259 §4 leaves undefined and JSON.parse resolves
// silently by keeping the last one (so a second "address" would quietly win over the first).

/** Where and why a JSON text is invalid; `line` and `column` are 1-based (column in UTF-16 code units). */
export type JsonSyntaxError = { offset: number; line: number; column: number; message: string };

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 512;

/** A key that appears twice in one object: its key path (e.g. `["environments", "Production", "origin", "address"]`) and where the second one is. */
export type DuplicateKey = { path: (string | number)[]; offset: number; line: number; column: number };

/**
 * The first syntax error in `text` per RFC 8259, or `null` when `text` is one valid JSON value.
 * Pure; O(length). Call it after `JSON.parse` has failed to explain where.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | null {
  return scanJson(text, null);
}

/**
 * Every key that appears more than once in the same object of the JSON text `text` (keys compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key), in text order, with the key path of the repeated key
 * and the 1-based line/column of its second (third, …) occurrence. Pure; O(length). Meant for text JSON.parse
 * accepted; for invalid JSON it reports the duplicates before the syntax error.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  scanJson(text, (path, offset) => found.push({ path, offset, ...lineAndColumn(text, offset) }));
  return found;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

// The RFC 8259 scanner behind both functions; `onDuplicate` (when given) hears each repeated key.
function scanJson(text: string, onDuplicate: ((path: (string | number)[], offset: number) => void) | null): JsonSyntaxError | null {
  let i = 0;
  const describe = (at: number) => (at >= text.length ? "end of input" : `'${text[at] === "\n" ? "\\n" : text[at]}'`);

  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };

  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++) {
      if (text[i + k] !== word[k]) throw new Stop(i + k, `Unexpected ${describe(i + k)} (expected ${word})`);
    }
    i += word.length;
  };

  const string = () => {
    const start = i;
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(start, "Unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw new Stop(i, "Unescaped control character (e.g. a line break) in a string");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, "Invalid \\u escape in a string");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          throw new Stop(i, "Invalid escape in a string");
        }
        continue;
      }
      i++;
    }
  };

  const number = () => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === "-") throw new Stop(i, `Invalid number`);
    i += match[0].length;
  };

  // The key path of the value being scanned (kept only when looking for duplicates); copied only to report one.
  const path: (string | number)[] = [];

  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) throw new Stop(i, "Nesting too deep");
    ws();
    const c = text[i];
    if (c === "{") return object(depth);
    if (c === "[") return array(depth);
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "'") throw new Stop(i, "Strings must use double quotes");
    throw new Stop(i, `Unexpected ${describe(i)} (expected a value)`);
  };

  const object = (depth: number) => {
    i++;
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    const keys = onDuplicate ? new Set<string>() : null;
    for (;;) {
      ws();
      if (text[i] !== '"') throw new Stop(i, `Unexpected ${describe(i)} (expected a double-quoted property name)`);
      const keyStart = i;
      string();
      if (keys) {
        const key = JSON.parse(text.slice(keyStart, i)) as string;
        if (keys.has(key)) onDuplicate?.([...path, key], keyStart);
        keys.add(key);
        path.push(key);
      }
      ws();
      if (text[i] !== ":") throw new Stop(i, `Unexpected ${describe(i)} (expected ':' after the property name)`);
      i++;
      value(depth + 1);
      if (keys) path.pop();
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      if (text[i] !== ",") throw new Stop(i, `Unexpected ${describe(i)} (expected ',' or '}' after a property value)`);
      const comma = i;
      i++;
      ws();
      if (text[i] === "}") throw new Stop(comma, "Trailing comma before '}' is not allowed in JSON");
    }
  };

  const array = (depth: number) => {
    i++;
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      if (onDuplicate) path.push(index);
      value(depth + 1);
      if (onDuplicate) path.pop();
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      if (text[i] !== ",") throw new Stop(i, `Unexpected ${describe(i)} (expected ',' or ']' after an array item)`);
      const comma = i;
      i++;
      ws();
      if (text[i] === "]") throw new Stop(comma, "Trailing comma before ']' is not allowed in JSON");
    }
  };

  try {
    ws();
    if (i >= text.length) throw new Stop(i, "The file is empty (expected a JSON object)");
    value(0);
    ws();
    if (i < text.length) throw new Stop(i, `Unexpected ${describe(i)} after the end of the JSON value`);
    return null;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const offset = Math.min(err.offset, text.length);
    return { offset, ...lineAndColumn(text, offset), message: err.message };
  }
}
