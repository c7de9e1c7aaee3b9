// Locates the first syntax error of a JSON text (RFC 8259) with a line and column, because V8's JSON.parse
// messages do not always carry a position ("Unexpected end of JSON input", "Unexpected token '}', ... is not
// valid JSON").

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

/**
 * The first syntax error in `text` per RFC 8259, or `null` when `text` is one valid JSON value.
 * Pure; O(length). Call it after `JSON.parse` has failed to explain where.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | null {
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
    for (;;) {
      ws();
      if (text[i] !== '"') throw new Stop(i, `Unexpected ${describe(i)} (expected a double-quoted property name)`);
      string();
      ws();
      if (text[i] !== ":") throw new Stop(i, `Unexpected ${describe(i)} (expected ':' after the property name)`);
      i++;
      value(depth + 1);
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
    for (;;) {
      value(depth + 1);
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
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - (before.lastIndexOf("\n") + 1) + 1;
    return { offset, line, column, message: err.message };
  }
}
