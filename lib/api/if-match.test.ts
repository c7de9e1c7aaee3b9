import { describe, expect, it } from "vitest";
import { parseIfMatch } from "./if-match";
import { ApiProblem } from "./problem";

// If-Match for configuration writes (RFC 9110 §13.1.1): `*`, strong commit ETags; weak ones are refused.

const sha = "0123456789abcdef0123456789abcdef01234567";
const other = "f".repeat(40);

function refusal(value: string): ApiProblem {
  try {
    parseIfMatch(value);
  } catch (error) {
    if (error instanceof ApiProblem) return error;
    throw error;
  }
  throw new Error(`${value} was accepted`);
}

describe("parseIfMatch", () => {
  it("absent, * (any current version), one or several strong commit ETags", () => {
    expect(parseIfMatch(null)).toEqual({ kind: "absent" });
    expect(parseIfMatch(" ")).toEqual({ kind: "absent" });
    expect(parseIfMatch("*")).toEqual({ kind: "any" });
    expect(parseIfMatch(`"${sha}"`)).toEqual({ kind: "commits", commits: [sha] });
    expect(parseIfMatch(sha)).toEqual({ kind: "commits", commits: [sha] });
    expect(parseIfMatch(`"${sha}", "${other}"`)).toEqual({ kind: "commits", commits: [sha, other] });
  });

  it("refuses a weak validator with 412 saying If-Match compares strongly; other junk with 412 naming the ETag", () => {
    const weak = refusal(`W/"${sha}"`);
    expect(weak.kind).toBe("precondition-failed");
    expect(weak.message).toMatch(/compares strongly \(RFC 9110 §13\.1\.1\).*weak validator W\/"0123/);
    expect(refusal(`"${sha}", w/"${other}"`).message).toMatch(/weak validator/);
    for (const junk of ['"abc"', "**", `"${sha}",`]) {
      const problem = refusal(junk);
      expect(problem.kind, junk).toBe("precondition-failed");
      expect(problem.message).toMatch(/ETag of GET …\/configuration/);
    }
  });
});
