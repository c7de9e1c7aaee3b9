import { jsonLanguage } from "@codemirror/lang-json";
import { describe, expect, it } from "vitest";
import { sectionConfigJsonSchema } from "@/lib/section-config/json-schema";
import { lintSectionConfig, parseKeyPath, placeKeyPathIssues } from "./json-lint";

const schema = sectionConfigJsonSchema();

/** The problems of `text` as { line (1-based), marked text, message }. */
function lint(text: string, environment?: string) {
  return lintSectionConfig(text, jsonLanguage.parser.parse(text), schema, environment).map((p) => ({
    line: text.slice(0, p.from).split("\n").length,
    marked: text.slice(p.from, p.to),
    message: p.message,
  }));
}

const VALID = `{
  "proxychain": [{ "name": "varnish", "image": "varnish:7.4" }],
  "environments": {
    "Production": {
      "origin": {
        "address": "203.0.113.7",
        "port": 443
      }
    }
  }
}
`;

describe("section.config.json lint (the editor's check while typing)", () => {
  it("finds nothing in a valid file", () => {
    expect(lint(VALID, "Production")).toEqual([]);
  });

  it("marks an unknown key on its own line, with the server's message", () => {
    const text = VALID.replace('"port": 443', '"port": 443,\n        "colour": "blue"');
    expect(lint(text)).toEqual([{ line: 8, marked: '"colour"', message: 'unknown key "colour" in environments.Production.origin' }]);
  });

  it("marks a wrong value at the value and a missing key at its object's key", () => {
    const wrongPort = VALID.replace('"port": 443', '"port": "eighty"');
    expect(lint(wrongPort)).toEqual([{ line: 7, marked: '"eighty"', message: "must be a whole number" }]);
    const noAddress = VALID.replace('"address": "203.0.113.7",\n', "");
    expect(lint(noAddress)).toEqual([{ line: 5, marked: '"origin"', message: '"address" is required in environments.Production.origin' }]);
  });

  it("marks a JSON syntax error where it is, and a key written twice at its second place", () => {
    const broken = VALID.replace('"port": 443', '"port": 443,');
    const [syntax] = lint(broken);
    expect(syntax).toEqual({ line: 7, marked: ",", message: "Invalid JSON: Trailing comma before '}' is not allowed in JSON" });
    const twice = VALID.replace('"port": 443', '"port": 443,\n        "address": "198.51.100.9"');
    expect(lint(twice)).toEqual([
      {
        line: 8,
        marked: '"address"',
        message: "environments.Production.origin.address appears twice; JSON would silently keep only the last one, so delete one of them",
      },
    ]);
  });

  it("names the branch's own block when it is missing", () => {
    expect(lint(VALID, "Staging")).toEqual([
      { line: 3, marked: '"environments"', message: 'is missing the block of "Staging": this branch needs its own environment\'s block' },
    ]);
  });

  it("tolerates a UTF-8 BOM and keeps the marks in place", () => {
    const text = "\ufeff" + VALID.replace('"port": 443', '"port": 0');
    expect(lint(text)).toEqual([{ line: 7, marked: "0", message: "must be at least 1" }]);
  });
});

describe("the server's problems placed in the text", () => {
  it("reads the server's key paths", () => {
    expect(parseKeyPath("environments.Production.origin.port")).toEqual(["environments", "Production", "origin", "port"]);
    expect(parseKeyPath("proxychain[0].image")).toEqual(["proxychain", 0, "image"]);
    expect(parseKeyPath('environments["my env"].origin')).toEqual(["environments", "my env", "origin"]);
    expect(parseKeyPath("")).toEqual([]);
    expect(parseKeyPath(".x")).toBeNull();
    expect(parseKeyPath("a b")).toBeNull();
  });

  it("marks each at its key's line, a missing key at its object, and leaves whole-file problems out", () => {
    const issues = [
      { path: "environments.Production.origin.address", message: "is a loopback address" },
      { path: "environments.Staging", message: "is missing" },
      { path: "", message: "section.config.json must be UTF-8" },
    ];
    const placed = placeKeyPathIssues(VALID, jsonLanguage.parser.parse(VALID), issues).map((p) => ({
      line: VALID.slice(0, p.from).split("\n").length,
      marked: VALID.slice(p.from, p.to),
      message: p.message,
    }));
    expect(placed).toEqual([
      { line: 6, marked: '"address"', message: "is a loopback address" },
      { line: 3, marked: '"environments"', message: "is missing" },
    ]);
  });
});
