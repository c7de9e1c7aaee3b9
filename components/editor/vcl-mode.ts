import type { StreamParser, StringStream } from "@codemirror/language";

// A small stream mode for Varnish's VCL (4.x), enough to highlight the module files of the varnish stack
// (docs/product.md §5 "Stack catalog"): comments (`#`, `//`, `/* */`), strings (`"…"` and long strings `{"…"}`),
// numbers with duration units (`60s`, `1.5m`), keywords, the names that `sub`/`backend`/`probe`/`acl` define,
// built-in variables (`req.http.Host`, `beresp.ttl`), functions (`regsub`, `std.querysort`), the actions of
// `return (…)`, `.field` settings of backends and probes, and operators. No parser: nothing here judges whether the
// VCL is valid (varnishd does that on the edge node).

/** The state carried from line to line: open block comments and long strings, what the last word expects, depth. */
export type VclState = {
  inComment: boolean;
  inLongString: boolean;
  /** The next identifier is a name being defined (after `sub`, `backend`, `probe`, `acl`). */
  defining: boolean;
  /** Inside `return (…)`: identifiers are actions. */
  inReturn: boolean;
  /** Open `{` count, for indentation. */
  depth: number;
};

const KEYWORDS = new Set([
  "vcl",
  "import",
  "include",
  "backend",
  "probe",
  "acl",
  "sub",
  "if",
  "else",
  "elsif",
  "elseif",
  "elif",
  "set",
  "unset",
  "call",
  "return",
  "new",
  "synthetic",
  "ban",
  "restart",
  "esi",
]);
const DEFINERS = new Set(["sub", "backend", "probe", "acl"]);
const ACTIONS = new Set([
  "lookup",
  "pass",
  "pipe",
  "hash",
  "deliver",
  "fetch",
  "miss",
  "hit",
  "purge",
  "synth",
  "restart",
  "abandon",
  "retry",
  "ok",
  "fail",
  "vcl",
  "error",
]);
const VARIABLE_ROOTS = new Set([
  "req",
  "req_top",
  "bereq",
  "beresp",
  "resp",
  "obj",
  "client",
  "server",
  "local",
  "remote",
  "now",
  "storage",
  "sess",
]);
const FUNCTIONS = new Set(["regsub", "regsuball", "hash_data", "ban", "synthetic", "error"]);

const OPERATOR = /^(?:==|!=|!~|<=|>=|&&|\|\||\+=|-=|\*=|\/=|[=~!<>+\-*/])/;
const NUMBER = /^\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y)?(?![\w.])/;
const IDENTIFIER = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*/;

function blockComment(stream: StringStream, state: VclState): string {
  state.inComment = !stream.skipTo("*/");
  if (state.inComment) stream.skipToEnd();
  else stream.pos += 2;
  return "comment";
}

function longString(stream: StringStream, state: VclState): string {
  state.inLongString = !stream.skipTo('"}');
  if (state.inLongString) stream.skipToEnd();
  else stream.pos += 2;
  return "string";
}

function word(stream: StringStream, state: VclState, name: string): string {
  if (state.defining) {
    state.defining = false;
    return "variableName.definition";
  }
  if (state.inReturn && ACTIONS.has(name)) return "atom";
  if (KEYWORDS.has(name)) {
    if (DEFINERS.has(name)) state.defining = true;
    if (name === "return") state.inReturn = true;
    return "keyword";
  }
  if (name === "true" || name === "false") return "atom";
  if (VARIABLE_ROOTS.has(name.split(".")[0])) return "variableName.special";
  if (FUNCTIONS.has(name) || (name.includes(".") && stream.match(/^\s*\(/, false))) return "variableName.standard";
  return "variableName";
}

/**
 * The VCL stream parser for CodeMirror's `StreamLanguage.define` (@codemirror/language): token names are
 * @lezer/highlight tag names (`keyword`, `string`, `comment`, `number`, `atom`, `variableName.definition` for defined names, `propertyName`,
 * `variableName.special` for built-in variables, `variableName.standard` for functions, `operator`). Indents one
 * unit per open `{`. Comment tokens `#` and `/* … *\/` for the toggle-comment commands.
 */
export const vcl: StreamParser<VclState> = {
  name: "vcl",
  startState: () => ({ inComment: false, inLongString: false, defining: false, inReturn: false, depth: 0 }),
  copyState: (state) => ({ ...state }),
  token(stream, state) {
    if (state.inComment) return blockComment(stream, state);
    if (state.inLongString) return longString(stream, state);
    if (stream.eatSpace()) return null;
    if (stream.match("/*")) return blockComment(stream, state);
    if (stream.match("#") || stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match('{"')) return longString(stream, state);
    if (stream.match('"')) {
      // VCL strings have no escapes and end at the line's end.
      if (!stream.skipTo('"')) stream.skipToEnd();
      else stream.next();
      return "string";
    }
    if (stream.match(NUMBER)) return "number";
    if (stream.match(/^\.[A-Za-z_][\w-]*/)) return "propertyName";
    const name = stream.match(IDENTIFIER);
    if (name && typeof name === "object") return word(stream, state, name[0]);
    if (stream.match(OPERATOR)) return "operator";
    const ch = stream.next();
    if (ch === "{") state.depth++;
    else if (ch === "}") state.depth = Math.max(0, state.depth - 1);
    else if (ch === ")") state.inReturn = false;
    else if (ch === ";") state.defining = false;
    return ch === "{" || ch === "}" || ch === "(" || ch === ")" ? "bracket" : "punctuation";
  },
  indent(state, textAfter, context) {
    if (state.inComment || state.inLongString) return null;
    const closing = /^\s*}/.test(textAfter) ? 1 : 0;
    return Math.max(0, state.depth - closing) * context.unit;
  },
  languageData: { commentTokens: { line: "#", block: { open: "/*", close: "*/" } } },
};
