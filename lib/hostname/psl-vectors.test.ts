import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { registrableDomain } from "@/lib/hostname";

// The Public Suffix List's own test vectors (publicsuffix/list tests/test_psl.txt), kept beside the repository.
const VECTORS = path.resolve(process.cwd(), "../shared/reference/psl-test-vectors.txt");

type Vector = [input: string | null, expected: string | null];

// Parses `checkPublicSuffix(<arg>, <arg>);` lines, each argument `null` or a single-quoted string.
function parseVectors(text: string): Vector[] {
  const arg = String.raw`(null|'[^']*')`;
  const line = new RegExp(String.raw`^checkPublicSuffix\(\s*${arg}\s*,\s*${arg}\s*\);\s*$`);
  const value = (a: string) => (a === "null" ? null : a.slice(1, -1));
  const vectors: Vector[] = [];
  for (const raw of text.split(/\r?\n/)) {
    // Comment lines (`// checkPublicSuffix(input, …)`) describe the format; only code lines are vectors.
    if (raw.trim().startsWith("//") || !raw.includes("checkPublicSuffix(")) continue;
    const match = line.exec(raw.trim());
    if (!match) throw new Error(`Unparsed vector line: ${raw}`);
    vectors.push([value(match[1]), value(match[2])]);
  }
  return vectors;
}

const vectors = parseVectors(fs.readFileSync(VECTORS, "utf8"));
const mentions = fs.readFileSync(VECTORS, "utf8").match(/^checkPublicSuffix\(/gm) ?? [];

describe("registrableDomain agrees with the Public Suffix List test vectors", () => {
  it("parsed every vector of the file", () => {
    expect(vectors.length).toBeGreaterThan(50);
    expect(vectors.length).toBe(mentions.length);
  });

  it.each(vectors)("checkPublicSuffix(%j, %j)", (input, expected) => {
    expect(registrableDomain(input)).toBe(expected);
  });
});
