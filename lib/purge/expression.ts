// Purge requests turned into Varnish bans (docs/product.md §10 "Purge"; docs/edge.md "Purge"). Four kinds: everything,
// a path prefix, an exact URL, and (admins) a ban expression of conditions on `req.url`, `req.http.host`,
// `obj.status` and `obj.http.*` joined by `&&`. Every kind becomes a ban on object headers only (`obj.*`), which the
// ban lurker can test in the background and retire, always limited to one environment: the platform's VCL wrapper
// copies the URL, the Host and the environment key into `x-edge-url`, `x-edge-host` and `x-edge-env` when an object
// is fetched (edge/modules/varnish.ts). Nothing here talks to a node: a request that does not parse never reaches one.

/** The purge kinds (docs/product.md §10): `all`, `prefix` and `url` for developers and up, `expression` for admins. */
export type PurgeKind = "all" | "prefix" | "url" | "expression";

/** One condition of a ban expression as parsed: `field op value`. */
export type BanCondition = {
  /** `req.url`, `req.http.host`, `obj.status` or `obj.http.<lower-case header name>`. */
  field: string;
  op: "==" | "!=" | "~" | "!~";
  value: string;
};

/** A parsed purge: its kind, what the person typed (prefix, URL or expression; "" for everything) and the ban. */
export type Purge = { kind: PurgeKind; input: string; ban: string };

/** A refusal: one sentence for the field (UI) or the problem+json `errors` entry (API). */
export type PurgeRefusal = { ok: false; message: string };

/** Longest input accepted (characters): an expression, a prefix or a URL. */
export const MAX_PURGE_INPUT = 1000;
/** Most conditions in one ban expression. */
export const MAX_CONDITIONS = 10;

/** Object header names the platform's VCL wrapper sets (edge/modules/varnish.ts) and every ban is written on. */
export const BAN_HEADERS = { url: "x-edge-url", host: "x-edge-host", env: "x-edge-env" } as const;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const ENV_KEY = /^e[0-9]{1,12}$/;
// Characters a value may hold: printable ASCII and any non-ASCII letter, no control characters (the varnishd CLI is
// line-based).
const CONTROL = /[\u0000-\u001f\u007f]/;

const refuse = (message: string): PurgeRefusal => ({ ok: false, message });

/**
 * Parses a ban expression (docs/product.md §10): conditions `field op "value"` joined by `&&`. Fields: `req.url`,
 * `req.http.host`, `obj.status` and `obj.http.<header>` (names compared ignoring case); operators `==`, `!=`, `~`
 * (a regular expression, PCRE as Varnish reads it; `(?i)` at its start for no case) and `!~`; values in double quotes
 * with `\"` and `\\` as escapes (or one unquoted word, as varnishd reads it); `obj.status` takes a three-digit status, quoted or not, with `==` or `!=`. Returns the
 * conditions, or a refusal naming the column (1-based) where reading stopped.
 */
export function parseBanExpression(text: string): { ok: true; conditions: BanCondition[] } | PurgeRefusal {
  if (text.length > MAX_PURGE_INPUT) return refuse(`The expression is longer than ${MAX_PURGE_INPUT} characters.`);
  if (CONTROL.test(text)) return refuse("The expression contains a line break or another control character.");
  let i = 0;
  const col = () => `column ${i + 1}`;
  const skip = () => {
    while (i < text.length && text[i] === " ") i++;
  };
  const conditions: BanCondition[] = [];
  skip();
  if (i >= text.length) return refuse('The expression is empty: write a condition such as req.url ~ "^/images/".');
  for (;;) {
    skip();
    const start = i;
    while (i < text.length && /[A-Za-z0-9._-]/.test(text[i])) i++;
    const rawField = text.slice(start, i);
    if (!rawField) return refuse(`Expected a field (req.url, req.http.host, obj.status or obj.http.<header>) at ${col()}.`);
    const lower = rawField.toLowerCase();
    let field: string;
    if (lower === "req.url" || lower === "req.http.host" || lower === "obj.status") field = lower;
    else if (lower.startsWith("obj.http.") && HEADER_NAME.test(rawField.slice(9))) field = lower;
    else if (lower.startsWith("req.http.")) {
      i = start;
      return refuse(
        `Only the Host request header can be purged on (req.http.host), not ${rawField} (${col()}): objects keep no other request header.`,
      );
    } else {
      i = start;
      return refuse(`Unknown field "${rawField}" at ${col()}: use req.url, req.http.host, obj.status or obj.http.<header>.`);
    }
    skip();
    const opMatch = /^(==|!=|!~|~)/.exec(text.slice(i));
    if (!opMatch) return refuse(`Expected an operator (==, !=, ~ or !~) after ${rawField} at ${col()}.`);
    const op = opMatch[1] as BanCondition["op"];
    i += op.length;
    skip();
    let value: string;
    if (text[i] === '"') {
      i++;
      let out = "";
      for (;;) {
        if (i >= text.length) return refuse(`The quoted value after ${rawField} ${op} is not closed: add a closing ".`);
        const c = text[i];
        if (c === "\\") {
          const next = text[i + 1];
          if (next === '"' || next === "\\") {
            out += next;
            i += 2;
            continue;
          }
          // Kept as written: a regular expression's own escape (\. \d \/).
          out += c;
          i++;
          continue;
        }
        if (c === '"') {
          i++;
          break;
        }
        out += c;
        i++;
      }
      value = out;
    } else if (field === "obj.status" && /^[0-9]/.test(text[i] ?? "")) {
      const s = i;
      while (i < text.length && /[0-9]/.test(text[i])) i++;
      value = text.slice(s, i);
    } else if (i < text.length && !text.startsWith("&&", i)) {
      // An unquoted value is one word, as varnishd reads it (Section's default is `req.url ~ /`).
      const s = i;
      while (i < text.length && text[i] !== " ") i++;
      value = text.slice(s, i);
      if (value.includes('"'))
        return refuse(`A value with a double quote must be written in double quotes, with \\" for the quote (column ${s + 1}).`);
    } else {
      return refuse(`Expected a value (in double quotes) after ${rawField} ${op} at ${col()}.`);
    }
    if (field === "obj.status") {
      if (op !== "==" && op !== "!=") return refuse(`obj.status is compared with == or != only (${col()}).`);
      if (!/^[1-9][0-9]{2}$/.test(value)) return refuse(`obj.status must be a three-digit HTTP status such as 404, not "${value}".`);
    } else if (op === "~" || op === "!~") {
      const problem = regexProblem(value);
      if (problem) return refuse(`The regular expression "${value}" for ${rawField} ${problem}.`);
    } else if (value === "" && field === "req.url") {
      return refuse('req.url == "" matches nothing: a URL starts with /.');
    }
    conditions.push({ field, op, value });
    if (conditions.length > MAX_CONDITIONS) return refuse(`At most ${MAX_CONDITIONS} conditions in one expression.`);
    skip();
    if (i >= text.length) break;
    if (text.startsWith("&&", i)) {
      i += 2;
      skip();
      if (i >= text.length) return refuse("The expression ends with &&: add a condition after it.");
      continue;
    }
    if (text.startsWith("||", i)) return refuse(`Only && joins conditions (${col()}): send one purge per alternative.`);
    return refuse(`Expected && or the end of the expression at ${col()}.`);
  }
  return { ok: true, conditions };
}

/**
 * Why `pattern` is not a regular expression the console can vouch for, or null. Checked with JavaScript's engine
 * after a leading `(?i)` (Varnish's way to ignore case), which agrees with PCRE on the common syntax; constructs it
 * does not know are refused rather than sent to a node that might refuse them.
 */
function regexProblem(pattern: string): string | null {
  const body = pattern.startsWith("(?i)") ? pattern.slice(4) : pattern;
  if (pattern === "") return "is empty";
  if (/\(\?[a-zA-Z]/.test(body)) return "uses an inline flag; only (?i) at its start is understood";
  if (/\\[QEKGAZz]/.test(body)) return "uses an escape (\\Q, \\E, \\K, \\G, \\A, \\Z) this console does not check";
  try {
    new RegExp(body, "u");
    return null;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/u?: /, "")}`;
  }
}

/** `value` escaped for a quoted argument of the varnishd CLI (`\` and `"`). */
function cliQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

/** `text` as a regular expression matching it literally (PCRE and JavaScript metacharacters escaped). */
export function regexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/**
 * One condition as the ban term on object headers: `req.url` → `obj.http.x-edge-url`, `req.http.host` →
 * `obj.http.x-edge-host`. The varnishd CLI splits a ban at spaces even inside quotes, so a value with a space is
 * written as a regular expression with `\x20` (an equality becomes an anchored literal match).
 */
function banTerm(c: BanCondition): string {
  const field =
    c.field === "req.url" ? `obj.http.${BAN_HEADERS.url}` : c.field === "req.http.host" ? `obj.http.${BAN_HEADERS.host}` : c.field;
  if (c.field === "obj.status") return `${field} ${c.op} ${c.value}`;
  let { op, value } = c;
  if (/\s/.test(value)) {
    if (op === "==" || op === "!=") {
      value = `^${regexLiteral(value)}$`;
      op = op === "==" ? "~" : "!~";
    }
    value = value.replace(/ /g, "\\x20");
  }
  return `${field} ${op} ${cliQuote(value)}`;
}

/** The condition that limits a ban to environment `key` (`e17`). Throws on a malformed key. */
export function environmentTerm(key: string): string {
  if (!ENV_KEY.test(key)) throw new Error(`environment key "${key}" is malformed`);
  return `obj.http.${BAN_HEADERS.env} == "${key}"`;
}

/** The ban for `conditions` within environment `key`: the environment term first, then each condition. */
export function banFor(key: string, conditions: readonly BanCondition[]): string {
  return [environmentTerm(key), ...conditions.map(banTerm)].join(" && ");
}

/** A path prefix or path: starts with `/`, no spaces or control characters, at most {@link MAX_PURGE_INPUT}. */
function pathProblem(value: string, what: string): string | null {
  if (!value) return `Enter a ${what} starting with /.`;
  if (value.length > MAX_PURGE_INPUT) return `The ${what} is longer than ${MAX_PURGE_INPUT} characters.`;
  if (!value.startsWith("/")) return `The ${what} must start with / (for example /images/).`;
  if (/\s/.test(value) || CONTROL.test(value))
    return `The ${what} contains a space or a control character: URLs carry them percent-encoded (%20).`;
  return null;
}

/** Everything of environment `key`. */
export function purgeEverything(key: string): Purge {
  return { kind: "all", input: "", ban: banFor(key, []) };
}

/** Every URL of environment `key` starting with `prefix` (a path such as `/images/`), query strings included. */
export function purgePrefix(key: string, prefix: string): { ok: true; purge: Purge } | PurgeRefusal {
  const trimmed = prefix.trim();
  const problem = pathProblem(trimmed, "prefix");
  if (problem) return refuse(problem);
  return {
    ok: true,
    purge: { kind: "prefix", input: trimmed, ban: banFor(key, [{ field: "req.url", op: "~", value: `^${regexLiteral(trimmed)}` }]) },
  };
}

/**
 * One URL of environment `key`: a path with its query (`/a/b?x=1`), or a whole `http(s)://host/path?query` URL,
 * which also limits the purge to that Host (lower-cased, without its port, as the edge routes it, docs/edge.md
 * "One request"). The fragment is dropped (browsers never send it).
 */
export function purgeUrl(key: string, url: string): { ok: true; purge: Purge } | PurgeRefusal {
  const trimmed = url.trim();
  let host: string | null = null;
  let target = trimmed;
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      return refuse("This URL cannot be read: enter a path such as /a/b?x=1 or a whole URL such as https://www.example.com/a/b.");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      return refuse("Only http:// and https:// URLs are served by the edge.");
    if (parsed.username || parsed.password) return refuse("Leave the user name and password out of the URL.");
    host = parsed.hostname.toLowerCase().replace(/\.$/, "");
    target = `${parsed.pathname}${parsed.search}`;
  } else {
    target = trimmed.replace(/#.*$/, "");
  }
  const problem = pathProblem(target, "URL path");
  if (problem) return refuse(problem);
  const conditions: BanCondition[] = [{ field: "req.url", op: "==", value: target }];
  if (host) conditions.push({ field: "req.http.host", op: "==", value: host });
  return { ok: true, purge: { kind: "url", input: trimmed, ban: banFor(key, conditions) } };
}

/**
 * An admin's ban expression for environment `key` ({@link parseBanExpression}), rewritten onto object headers and
 * limited to the environment.
 */
export function purgeExpression(key: string, expression: string): { ok: true; purge: Purge } | PurgeRefusal {
  const parsed = parseBanExpression(expression);
  if (!parsed.ok) return parsed;
  return { ok: true, purge: { kind: "expression", input: expression.trim(), ban: banFor(key, parsed.conditions) } };
}

/**
 * What Section's API `banExpression` asks for (docs/product.md §10): absent or blank (or `req.url ~ /`, Section's
 * default) → everything; exactly
 * `req.url ~ "^/prefix"` with a literal prefix (regular-expression characters escaped, if any) → a prefix purge, which
 * developers may send; anything else → an expression (admins only). A malformed expression is refused.
 */
export function purgeFromBanExpression(key: string, expression: string | null | undefined): { ok: true; purge: Purge } | PurgeRefusal {
  if (!expression || !expression.trim()) return { ok: true, purge: purgeEverything(key) };
  const parsed = parseBanExpression(expression);
  if (!parsed.ok) return parsed;
  const [only] = parsed.conditions;
  // `req.url ~ /` (Section's default) and `req.url ~ "^/"` match every URL: everything.
  if (parsed.conditions.length === 1 && only.field === "req.url" && only.op === "~" && (only.value === "/" || only.value === "^/"))
    return { ok: true, purge: purgeEverything(key) };
  if (parsed.conditions.length === 1 && only.field === "req.url" && only.op === "~" && only.value.startsWith("^/")) {
    const literal = literalOf(only.value.slice(1));
    if (literal !== null && !/\s/.test(literal)) return purgePrefix(key, literal);
  }
  return { ok: true, purge: { kind: "expression", input: expression.trim(), ban: banFor(key, parsed.conditions) } };
}

/** The literal text a regular expression without metacharacters matches (escaped ones unescaped), or null. */
function literalOf(pattern: string): string | null {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null;
      out += next;
      i++;
    } else if (/[\^$.|?*+()[\]{}]/.test(c)) return null;
    else out += c;
  }
  return out;
}
