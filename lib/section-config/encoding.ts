// Text encoding and line endings of `section.config.json`. The file must be UTF-8 (RFC 8259 §8.1: JSON exchanged
// between systems is UTF-8); a UTF-8 byte order mark is tolerated because common Windows editors write one. A
// UTF-16 file (with or without a BOM) or a legacy 8-bit file (Latin-1, Windows-1252) is refused with a message
// that says what the file is, instead of a JSON syntax error about a NUL byte.

/** The first bytes of a UTF-8 file written with a byte order mark (EF BB BF). */
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Why a text is not UTF-8, as a user-facing sentence; `line`/`column` (1-based) for an invalid byte. */
export type EncodingProblem = { message: string; line?: number; column?: number };

/** Result of {@link decodeUtf8Text}: the text (BOM removed, `bom` tells whether it had one) or the problem. */
export type DecodedText = { ok: true; text: string; bom: boolean } | { ok: false; problem: EncodingProblem };

const mustBeUtf8 = (name: string, what: string) =>
  `${name} must be UTF-8 (${what}); save it as UTF-8 (with or without a byte order mark) and try again`;

/**
 * Decodes the BYTES of a text file that must be UTF-8 (WHATWG Encoding, fatal decoder): a UTF-8 BOM is removed
 * (`bom: true`); UTF-16 LE/BE with a BOM, UTF-16 without a BOM (recognised by its NUL bytes), UTF-32 and any
 * other invalid UTF-8 (e.g. Latin-1 `é` = 0xE9, with the line and column of the first bad byte) are refused with
 * "<name> must be UTF-8 (…)". Pure; never throws.
 */
export function decodeUtf8Text(bytes: Uint8Array, name = "section.config.json"): DecodedText {
  const guess = guessNonUtf8Encoding(bytes);
  if (guess) return { ok: false, problem: { message: mustBeUtf8(name, `this file is ${guess}`) } };
  const bom = UTF8_BOM.every((b, i) => bytes[i] === b);
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body), bom };
  } catch {
    const at = firstInvalidUtf8(body);
    const prefix = new TextDecoder("utf-8").decode(body.subarray(0, at));
    const line = prefix.split("\n").length;
    const column = prefix.length - (prefix.lastIndexOf("\n") + 1) + 1;
    const byte = body[at]?.toString(16).toUpperCase().padStart(2, "0") ?? "??";
    return {
      ok: false,
      problem: {
        message: mustBeUtf8(name, `byte 0x${byte} at line ${line}, column ${column} is not UTF-8, e.g. Latin-1 or Windows-1252 text`),
        line,
        column,
      },
    };
  }
}

/**
 * The same rule for text that a caller already decoded with a lossy UTF-8 decoder (`buffer.toString("utf8")`):
 * U+FFFD (a replaced invalid byte) or U+0000 (UTF-16 decoded as UTF-8) mean the bytes were not UTF-8 text. A
 * `section.config.json` can hold neither character legitimately (every string in it is a name, an address or a
 * header name), so this refuses no valid file. Returns the problem, or null.
 */
export function misdecodedTextProblem(text: string, name = "section.config.json"): EncodingProblem | null {
  const nul = text.indexOf("\u0000");
  if (nul !== -1) {
    const utf16 = text.startsWith("\uFFFD\uFFFD") || nul <= 1;
    return { message: mustBeUtf8(name, utf16 ? "it looks like UTF-16" : "it contains NUL bytes") };
  }
  const bad = text.indexOf("\uFFFD");
  if (bad === -1) return null;
  const before = text.slice(0, bad);
  const line = before.split("\n").length;
  const column = bad - (before.lastIndexOf("\n") + 1) + 1;
  return {
    message: mustBeUtf8(name, `the text at line ${line}, column ${column} is not UTF-8, e.g. Latin-1 or Windows-1252 text`),
    line,
    column,
  };
}

// Names the encoding of a file that is recognisably UTF-16 or UTF-32: by its BOM, or (no BOM) by the NUL bytes
// that ASCII characters get in UTF-16 — JSON text begins with ASCII (`{`, whitespace), so its first two bytes
// show the byte order. Null for anything else.
function guessNonUtf8Encoding(bytes: Uint8Array): string | null {
  const [a, b, c, d] = bytes;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return "UTF-32 LE, with a byte order mark";
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return "UTF-32 BE, with a byte order mark";
  if (a === 0xff && b === 0xfe) return "UTF-16 LE, with a byte order mark";
  if (a === 0xfe && b === 0xff) return "UTF-16 BE, with a byte order mark";
  if (bytes.length >= 2 && a !== 0 && b === 0) return "UTF-16 LE, without a byte order mark";
  if (bytes.length >= 2 && a === 0 && b !== 0) return "UTF-16 BE, without a byte order mark";
  if (bytes.includes(0)) return "not text: it contains NUL bytes";
  return null;
}

// Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (Unicode Table 3-7).
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (next === undefined || next < min || next > max) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

/** A text's line-ending style: `"\r\n"` (CRLF, Windows) or `"\n"` (LF). */
export type LineEnding = "\n" | "\r\n";

/**
 * The line-ending style of `text`: CRLF when most of its line breaks are `\r\n`, else LF (also for a text without
 * line breaks, the repository's default). Pure.
 */
export function detectLineEnding(text: string): LineEnding {
  const all = text.split("\n").length - 1;
  if (all === 0) return "\n";
  const crlf = text.split("\r\n").length - 1;
  return crlf * 2 > all ? "\r\n" : "\n";
}

/**
 * `text` with every line break (`\r\n`, `\r` or `\n`) written as `eol`, e.g. to keep a CRLF file CRLF after the
 * browser editor (which sends LF or CRLF whatever the file had) or after a merge that serialised it with LF. Pure.
 */
export function applyLineEnding(text: string, eol: LineEnding): string {
  const lf = text.replace(/\r\n?/g, "\n");
  return eol === "\n" ? lf : lf.replace(/\n/g, "\r\n");
}
