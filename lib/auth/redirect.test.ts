import { describe, expect, it } from "vitest";
import { safeReturnPath } from "./redirect";

describe("safeReturnPath", () => {
  it.each([
    ["/account/3", "/account/3"],
    ["http://localhost:3000/account/3?x=1", "/account/3?x=1"],
    ["//evil.example/x", "/"],
    ["https://evil.example/account", "/account"],
    ["/\\evil.example", "/"],
    ["javascript:alert(1)", "/"],
    ["/login", "/"],
    [undefined, "/"],
    ["/\t/evil.example", "/"],
    ["/\t\t/evil.example", "/"],
    ["/\n/x", "/"],
    ["/\r/x", "/"],
    ["/%09/evil.example", "/%09/evil.example"],
    ["/invite/abc_DEF-1", "/invite/abc_DEF-1"],
  ])("%s → %s", (input, expected) => {
    expect(safeReturnPath(input)).toBe(expected);
  });
});
