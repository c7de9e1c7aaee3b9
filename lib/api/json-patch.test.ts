import { describe, expect, it } from "vitest";
import { applyJsonPatch } from "./json-patch";

// RFC 6902 patches against a small configuration: our messages, never the engine's.

const config = { http: { basic_auth: false }, proxychain: [{ name: "varnish" }, { name: "nginx" }] };

describe("applyJsonPatch", () => {
  it("applies operations in order and leaves the input alone; an empty patch is the document unchanged", () => {
    const out = applyJsonPatch(config, [
      { op: "replace", path: "/http/basic_auth", value: true },
      { op: "move", from: "/proxychain/1", path: "/proxychain/0" },
    ]);
    expect(out).toEqual({ ok: true, document: { http: { basic_auth: true }, proxychain: [{ name: "nginx" }, { name: "varnish" }] } });
    expect(config.http.basic_auth).toBe(false);
    expect(applyJsonPatch(config, [])).toEqual({ ok: true, document: config });
  });

  it("refuses a move into its own child with the index, path and RFC clause, not a TypeError text", () => {
    const out = applyJsonPatch(config, [
      { op: "test", path: "/http/basic_auth", value: false },
      { op: "move", from: "/proxychain", path: "/proxychain/0" },
    ]);
    expect(out).toMatchObject({ ok: false, index: 1, path: "/proxychain/0" });
    if (out.ok) return;
    expect(out.message).toBe("Operation 1 (move /proxychain/0): `from` may not be moved into one of its own children (RFC 6902 §4.4).");
  });

  it("names each failure in our words", () => {
    const cases: [Parameters<typeof applyJsonPatch>[1], RegExp][] = [
      [
        [{ op: "test", path: "/http/basic_auth", value: true }],
        /^Operation 0 \(test \/http\/basic_auth\): the value at `path` is not the one `test` expects\.$/,
      ],
      [[{ op: "remove", path: "/nothing" }], /^Operation 0 \(remove \/nothing\): `path` does not exist/],
      [[{ op: "add", path: "/a/b/c", value: 1 }], /^Operation 0 \(add \/a\/b\/c\): the parent of `path` does not exist\.$/],
      [[{ op: "add", path: "/proxychain/9", value: 1 }], /past the end of the array/],
      [[{ op: "copy", from: "/missing", path: "/x" }], /`from` does not exist/],
      [[{ op: "add", path: "/__proto__/polluted", value: 1 }], /__proto__/],
    ];
    for (const [patch, expected] of cases) {
      const out = applyJsonPatch(config, patch);
      expect(out.ok, JSON.stringify(patch)).toBe(false);
      if (!out.ok) {
        expect(out.message).toMatch(expected);
        expect(out.message).not.toMatch(/Cannot|undefined|TypeError|JSON-Patch/);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
