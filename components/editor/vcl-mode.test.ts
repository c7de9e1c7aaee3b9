import { readFileSync } from "node:fs";
import { StreamLanguage, StringStream } from "@codemirror/language";
import { classHighlighter, highlightTree } from "@lezer/highlight";
import { describe, expect, it } from "vitest";
import { vcl } from "./vcl-mode";

/** The tokens of `text` as [style, text] pairs (whitespace left out), line after line, as CodeMirror runs the mode. */
function tokens(text: string): [string | null, string][] {
  const state = vcl.startState!(2);
  const out: [string | null, string][] = [];
  for (const line of text.split("\n")) {
    const stream = new StringStream(line, 4, 2);
    while (!stream.eol()) {
      const style = vcl.token(stream, state);
      const token = stream.current();
      if (token.trim()) out.push([style, token.trim()]);
      stream.start = stream.pos;
    }
  }
  return out;
}

const styleOf = (text: string, token: string) => tokens(text).find(([, t]) => t === token)?.[0];

describe("VCL stream mode", () => {
  it("names keywords, defined names, built-in variables, functions, actions, strings and numbers", () => {
    const text = [
      "vcl 4.1;",
      "import std;",
      "backend default {",
      '    .host = "next-hop";',
      "    .first_byte_timeout = 60s;",
      "}",
      "sub vcl_recv {",
      '    if (req.method != "GET" && req.http.Cookie) {',
      "        return (pass);",
      "    }",
      '    set req.url = regsub(req.url, "#.*$", "");',
      "    set req.url = std.querysort(req.url);",
      "    call my_sub;",
      "}",
    ].join("\n");
    expect(tokens(text).slice(0, 3)).toEqual([
      ["keyword", "vcl"],
      ["number", "4.1"],
      ["punctuation", ";"],
    ]);
    expect(styleOf(text, "import")).toBe("keyword");
    expect(styleOf(text, "default")).toBe("variableName.definition");
    expect(styleOf(text, "vcl_recv")).toBe("variableName.definition");
    expect(styleOf(text, ".host")).toBe("propertyName");
    expect(styleOf(text, '"next-hop"')).toBe("string");
    expect(styleOf(text, "60s")).toBe("number");
    expect(styleOf(text, "req.method")).toBe("variableName.special");
    expect(styleOf(text, "req.http.Cookie")).toBe("variableName.special");
    expect(styleOf(text, "!=")).toBe("operator");
    expect(styleOf(text, "&&")).toBe("operator");
    expect(styleOf(text, "return")).toBe("keyword");
    expect(styleOf(text, "pass")).toBe("atom");
    expect(styleOf(text, "regsub")).toBe("variableName.standard");
    expect(styleOf(text, "std.querysort")).toBe("variableName.standard");
    expect(styleOf(text, '"#.*$"')).toBe("string");
    expect(styleOf(text, "my_sub")).toBe("variableName");
  });

  it("keeps comments, including a '#' inside a string and block comments over lines, apart from code", () => {
    const text = [
      'set req.url = regsub(req.url, "#.*$", ""); # strip the fragment',
      "/* one",
      "   two */ unset req.http.X-Debug;",
      "// done",
    ].join("\n");
    const all = tokens(text);
    expect(all).toContainEqual(["comment", "# strip the fragment"]);
    expect(all).toContainEqual(["comment", "/* one"]);
    expect(all).toContainEqual(["comment", "two */"]);
    expect(all).toContainEqual(["keyword", "unset"]);
    expect(all).toContainEqual(["variableName.special", "req.http.X-Debug"]);
    expect(all).toContainEqual(["comment", "// done"]);
  });

  it('reads a long string {"…"} over several lines as one string', () => {
    const all = tokens(['synthetic({"<html>', '  "quoted" # not a comment', '</html>"});'].join("\n"));
    expect(all.filter(([style]) => style === "comment")).toEqual([]);
    expect(all.filter(([style]) => style === "string").map(([, t]) => t)).toEqual(['{"<html>', '"quoted" # not a comment', '</html>"}']);
  });

  it("indents one unit per open brace, closing braces one less", () => {
    const state = vcl.startState!(4);
    for (const line of ["sub vcl_recv {", "    if (req.http.Cookie) {"]) {
      const stream = new StringStream(line, 4, 4);
      while (!stream.eol()) {
        vcl.token(stream, state);
        stream.start = stream.pos;
      }
    }
    const context = { unit: 4 } as Parameters<NonNullable<typeof vcl.indent>>[2];
    expect(vcl.indent!(state, "return (pass);", context)).toBe(8);
    expect(vcl.indent!(state, "}", context)).toBe(4);
  });

  it("highlights the varnish stack's starter VCL through CodeMirror's StreamLanguage with known tags only", () => {
    const text = readFileSync("lib/stacks/starters/varnish/default.vcl", "utf8");
    const language = StreamLanguage.define(vcl);
    const tree = language.parser.parse(text);
    const classes = new Map<string, string>();
    highlightTree(tree, classHighlighter, (from, to, cls) => classes.set(text.slice(from, to), cls));
    expect(classes.get("sub")).toBe("tok-keyword");
    expect(classes.get('"next-hop"')).toBe("tok-string");
    expect(classes.get("60s")).toBe("tok-number");
    expect(classes.get("vcl_recv")).toContain("tok-definition");
    expect([...classes.values()].some((cls) => cls.includes("tok-comment"))).toBe(true);
  });
});
