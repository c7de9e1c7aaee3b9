import { describe, expect, it } from "vitest";
import { applyLineEnding, decodeUtf8Text, detectLineEnding } from "./encoding";
import { findDuplicateKeys } from "./json-error";
import { formatSectionConfigIssues, parseSectionConfig, parseSectionConfigBytes } from "./schema";

const CONFIG = `{
  "proxychain": [{ "name": "varnish", "image": "varnish:7.4" }],
  "environments": {
    "Production": { "origin": { "address": "203.0.113.7" } },
    "Staging": { "origin": { "address": "203.0.113.8" } }
  }
}
`;

const utf16be = (text: string) => Buffer.from(text, "utf16le").swap16();
const messagesOf = (result: ReturnType<typeof parseSectionConfig>) => (result.ok ? [] : formatSectionConfigIssues(result.issues));

describe("section.config.json must be UTF-8", () => {
  it("refuses UTF-16 and UTF-32, with or without a byte order mark, naming the encoding", () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONFIG, "utf16le")]), /UTF-16 LE, with a byte order mark/],
      [Buffer.from(CONFIG, "utf16le"), /UTF-16 LE, without a byte order mark/],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(CONFIG)]), /UTF-16 BE, with a byte order mark/],
      [utf16be(CONFIG), /UTF-16 BE, without a byte order mark/],
      [Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0]), /UTF-32 LE/],
    ];
    for (const [bytes, encoding] of cases) {
      const result = parseSectionConfigBytes(bytes);
      expect(result.ok).toBe(false);
      const [line] = messagesOf(result);
      expect(line).toMatch(/^section\.config\.json must be UTF-8 \(this file is /);
      expect(line).toMatch(encoding);
    }
  });

  it("refuses Latin-1 / Windows-1252 bytes with the line and column of the first one", () => {
    const bytes = Buffer.from(CONFIG.replace("varnish:7.4", "varnish:7.4\u00e9"), "latin1");
    const result = parseSectionConfigBytes(bytes);
    expect(result).toMatchObject({ ok: false, issues: [{ path: "", line: 2, column: 60 }] });
    expect(messagesOf(result)[0]).toMatch(/^section\.config\.json must be UTF-8 \(byte 0xE9 at line 2, column 60 is not UTF-8/);
  });

  it("refuses the same files when a caller already decoded them as UTF-8 (the string entry point)", () => {
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONFIG, "utf16le")]),
      Buffer.from(CONFIG, "utf16le"),
      utf16be(CONFIG),
      Buffer.from(CONFIG.replace("203.0.113.8", "203.0.113.8\u00e9"), "latin1"),
    ]) {
      expect(messagesOf(parseSectionConfig(bytes.toString("utf8")))[0]).toMatch(/^section\.config\.json must be UTF-8 \(/);
    }
  });

  it("accepts UTF-8 with and without a BOM on both entry points", () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CONFIG)]);
    expect(parseSectionConfigBytes(Buffer.from(CONFIG)).ok).toBe(true);
    expect(parseSectionConfigBytes(bom).ok).toBe(true);
    expect(parseSectionConfig(bom.toString("utf8")).ok).toBe(true);
    expect(decodeUtf8Text(bom)).toEqual({ ok: true, text: CONFIG, bom: true });
    expect(decodeUtf8Text(Buffer.from('{"a":"caf\u00e9 \u{1F600}"}'))).toMatchObject({ ok: true, bom: false });
  });

  it("keeps a syntax error a syntax error (not an encoding error)", () => {
    expect(messagesOf(parseSectionConfigBytes(Buffer.from('{\n  "proxychain": [,]\n}\n')))[0]).toMatch(/Invalid JSON at line 2/);
  });
});

describe("duplicate keys in section.config.json", () => {
  it("refuses a key that appears twice, naming its key path, on the text and the bytes entry points", () => {
    const text = CONFIG.replace(
      '"Production": { "origin": { "address": "203.0.113.7" } }',
      '"Production": { "origin": { "address": "203.0.113.7",\n      "address": "203.0.113.9" } }',
    );
    expect(JSON.parse(text).environments.Production.origin.address).toBe("203.0.113.9"); // what JSON.parse does silently
    for (const result of [parseSectionConfig(text), parseSectionConfigBytes(Buffer.from(text))]) {
      expect(result).toMatchObject({ ok: false, issues: [{ path: "environments.Production.origin.address", line: 5, column: 7 }] });
      expect(messagesOf(result)).toEqual([
        "section.config.json environments.Production.origin.address: appears twice (again at line 5, column 7); JSON would silently keep only the last one, so delete one of them",
      ]);
    }
  });

  it("finds duplicates at every level, in arrays, and through escapes; the same key in different objects is fine", () => {
    const text = '{"environments":{"A":{},"A":{}},"proxychain":[{"name":"x","n\\u0061me":"y"}],"b":{"k":1},"c":{"k":2},"environments":1}';
    expect(findDuplicateKeys(text).map((d) => d.path)).toEqual([["environments", "A"], ["proxychain", 0, "name"], ["environments"]]);
    expect(findDuplicateKeys(CONFIG)).toEqual([]);
    const result = parseSectionConfig(text);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(["environments.A", "proxychain[0].name", "environments"]);
  });
});

describe("line endings", () => {
  it("detects LF and CRLF and re-applies the style", () => {
    const crlf = CONFIG.replace(/\n/g, "\r\n");
    expect(detectLineEnding(CONFIG)).toBe("\n");
    expect(detectLineEnding(crlf)).toBe("\r\n");
    expect(detectLineEnding("{}")).toBe("\n");
    expect(detectLineEnding("a\r\nb\r\nc\n")).toBe("\r\n");
    expect(detectLineEnding("a\r\nb\nc\n")).toBe("\n");
    expect(applyLineEnding(CONFIG, "\r\n")).toBe(crlf);
    expect(applyLineEnding(crlf, "\n")).toBe(CONFIG);
    expect(applyLineEnding("a\rb\r\nc\n", "\r\n")).toBe("a\r\nb\r\nc\r\n");
    // What the editor does: the browser sends LF (or CRLF) whatever the file had; the file keeps its own style.
    const edited = crlf.replace("203.0.113.8", "203.0.113.9").replace(/\r\n/g, "\n");
    expect(applyLineEnding(edited, detectLineEnding(crlf))).toBe(crlf.replace("203.0.113.8", "203.0.113.9"));
  });
});
