// A small VCL tokenizer (Varnish 7.1 lexical rules: `#`, `//` and `/* */` comments, "strings", {"long strings"},
// inline C `C{ … }C`), used for the platform's rewriting and for clear refusals before varnishd's own check.

/** One VCL token with its offsets in the text and its 1-based line and column. */
export type VclToken = {
  kind: "id" | "str" | "num" | "punct" | "inline-c";
  text: string;
  start: number;
  end: number;
  line: number;
  column: number;
};

/** Tokens of `text`; throws an Error with line/column on an unterminated string or comment. */
export function tokenizeVcl(text: string): VclToken[] {
  const tokens: VclToken[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const advance = (to: number) => {
    for (let j = i; j < to; j++) {
      if (text.charCodeAt(j) === 10) {
        line++;
        lineStart = j + 1;
      }
    }
    i = to;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} (line ${line}, column ${i - lineStart + 1})`);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "\n" || c === " " || c === "\t" || c === "\r") {
      advance(i + 1);
      continue;
    }
    if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      const end = text.indexOf("\n", i);
      advance(end === -1 ? text.length : end);
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) fail("unterminated /* comment");
      advance(end + 2);
      continue;
    }
    const start = i;
    const column = i - lineStart + 1;
    const startLine = line;
    let kind: VclToken["kind"];
    if (c === "C" && text[i + 1] === "{") {
      const end = text.indexOf("}C", i + 2);
      advance(end === -1 ? text.length : end + 2);
      kind = "inline-c";
    } else if (c === "{" && text[i + 1] === '"') {
      const end = text.indexOf('"}', i + 2);
      if (end === -1) fail('unterminated {" string');
      advance(end + 2);
      kind = "str";
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const nl = text.indexOf("\n", i + 1);
      if (end === -1 || (nl !== -1 && nl < end)) fail("unterminated string");
      advance(end + 1);
      kind = "str";
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_.\-]/.test(text[j])) j++;
      advance(j);
      kind = "id";
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[0-9.a-z]/.test(text[j])) j++;
      advance(j);
      kind = "num";
    } else {
      advance(i + 1);
      kind = "punct";
    }
    tokens.push({ kind, text: text.slice(start, i), start, end: i, line: startLine, column });
  }
  return tokens;
}

/** Index of the token closing the bracket opened at `open` (`{`/`(`), or -1. */
export function matchingClose(tokens: readonly VclToken[], open: number): number {
  const o = tokens[open].text;
  const c = o === "{" ? "}" : ")";
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k].kind !== "punct") continue;
    if (tokens[k].text === o) depth++;
    else if (tokens[k].text === c && --depth === 0) return k;
  }
  return -1;
}
