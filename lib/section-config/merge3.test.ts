import { describe, expect, it } from "vitest";
import { merge3, mergeSectionConfigFiles } from "./merge3";
import { parseSectionConfig, serializeSectionConfig, type SectionConfig } from "./schema";

const origin = (address: string) => ({ origin: { address } });
const PRODUCTION: SectionConfig = {
  proxychain: [{ name: "varnish", image: "varnish:7.4" }],
  environments: { Production: origin("203.0.113.7") },
};
const withEnvs = (envs: Record<string, unknown>) => ({ ...PRODUCTION, environments: { ...PRODUCTION.environments, ...envs } });
const bytes = (value: unknown) => Buffer.from(serializeSectionConfig(value as SectionConfig));

describe("merge3: JSON-aware three-way merge", () => {
  it("merges changes to different keys, keeping ours' key order and appending keys theirs added", () => {
    const ours = withEnvs({ Staging: origin("203.0.113.8") });
    const theirs = withEnvs({ Dev: origin("203.0.113.9") });
    const merged = merge3(PRODUCTION, ours, theirs);
    expect(merged).toEqual({ clean: true, value: withEnvs({ Staging: origin("203.0.113.8"), Dev: origin("203.0.113.9") }) });
    expect(merged.clean && Object.keys((merged.value as SectionConfig).environments)).toEqual(["Production", "Staging", "Dev"]);
    const reversed = merge3(PRODUCTION, theirs, ours);
    expect(reversed.clean && Object.keys((reversed.value as SectionConfig).environments)).toEqual(["Production", "Dev", "Staging"]);
  });

  it("merges deep changes on different keys of the same block, and deletions on one side", () => {
    const base = { a: { x: 1, y: 2, z: 3 }, gone: true };
    const ours = { a: { x: 10, y: 2, z: 3 } };
    const theirs = { a: { x: 1, y: 20 }, gone: true };
    expect(merge3(base, ours, theirs)).toEqual({ clean: true, value: { a: { x: 10, y: 20 } } });
  });

  it("accepts the same change on both sides", () => {
    const both = withEnvs({ Staging: origin("203.0.113.8") });
    expect(merge3(PRODUCTION, both, structuredClone(both))).toEqual({ clean: true, value: both });
  });

  it("reports a key changed two different ways at its key path", () => {
    const ours = withEnvs({ Production: origin("203.0.113.70") });
    const theirs = withEnvs({ Production: origin("203.0.113.71") });
    expect(merge3(PRODUCTION, ours, theirs)).toEqual({
      clean: false,
      conflicts: [{ path: "environments.Production.origin.address", base: "203.0.113.7", ours: "203.0.113.70", theirs: "203.0.113.71" }],
    });
  });

  it("reports changed on one side and deleted on the other", () => {
    const merged = merge3({ a: { b: 1 }, c: 1 }, { a: { b: 2 }, c: 1 }, { c: 2 });
    expect(merged).toEqual({ clean: false, conflicts: [{ path: "a", base: { b: 1 }, ours: { b: 2 }, theirs: undefined }] });
    expect(merge3({ a: 1 }, {}, {})).toEqual({ clean: true, value: {} });
  });

  it("treats arrays as values", () => {
    const base = { proxychain: ["varnish"], ip: ["198.51.100.1"] };
    expect(merge3(base, { ...base, proxychain: ["modsecurity", "varnish"] }, base)).toEqual({
      clean: true,
      value: { proxychain: ["modsecurity", "varnish"], ip: ["198.51.100.1"] },
    });
    expect(merge3(base, { ...base, ip: ["198.51.100.2"] }, { ...base, ip: ["198.51.100.2"] })).toEqual({
      clean: true,
      value: { ...base, ip: ["198.51.100.2"] },
    });
    const both = merge3(base, { ...base, ip: ["198.51.100.1", "198.51.100.2"] }, { ...base, ip: ["198.51.100.1", "198.51.100.3"] });
    expect(both.clean === false && both.conflicts.map((c) => c.path)).toEqual(["ip"]);
  });

  it("merges a block added on both sides key by key (no base), conflicting only where the values differ", () => {
    const ours = withEnvs({ Staging: { origin: { address: "203.0.113.8", port: 8080 } } });
    const theirs = withEnvs({ Staging: { origin: { address: "203.0.113.8", protocol: "https" } } });
    expect(merge3(undefined, ours, theirs)).toEqual({
      clean: true,
      value: withEnvs({ Staging: { origin: { address: "203.0.113.8", port: 8080, protocol: "https" } } }),
    });
    const clash = merge3(undefined, withEnvs({ Staging: origin("203.0.113.8") }), withEnvs({ Staging: origin("203.0.113.9") }));
    expect(clash.clean === false && clash.conflicts.map((c) => c.path)).toEqual(["environments.Staging.origin.address"]);
  });

  it("names odd keys as the validator does and never touches prototypes", () => {
    const base = JSON.parse('{"environments":{"my env":{"x":1}},"__proto__":{"p":1}}');
    const ours = JSON.parse('{"environments":{"my env":{"x":2}},"__proto__":{"p":2}}');
    const theirs = JSON.parse('{"environments":{"my env":{"x":3}},"__proto__":{"p":1},"q":1}');
    const merged = merge3(base, ours, theirs);
    expect(merged.clean === false && merged.conflicts.map((c) => c.path)).toEqual(['environments["my env"].x']);
    const clean = merge3(base, { ...ours, environments: base.environments }, theirs);
    expect(clean.clean).toBe(true);
    const value = clean.clean ? (clean.value as Record<string, unknown>) : {};
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["environments", "__proto__", "q"]);
    expect(JSON.stringify(value)).toBe('{"environments":{"my env":{"x":3}},"__proto__":{"p":2},"q":1}');
  });
});

describe("mergeSectionConfigFiles: bytes in, the file's own layout out", () => {
  it("writes the platform's layout (2 spaces, LF, final line break) and the result validates", () => {
    const merged = mergeSectionConfigFiles(
      bytes(PRODUCTION),
      bytes(withEnvs({ Staging: origin("203.0.113.8") })),
      bytes(withEnvs({ Dev: origin("203.0.113.9") })),
    );
    const expected = withEnvs({ Staging: origin("203.0.113.8"), Dev: origin("203.0.113.9") });
    expect(merged).toEqual({ ok: true, text: serializeSectionConfig(expected as SectionConfig) });
    expect(merged.ok && parseSectionConfig(merged.text, { environment: "Production" }).ok).toBe(true);
  });

  it("keeps ours' CRLF line endings, BOM and indentation", () => {
    const ours = "\uFEFF" + JSON.stringify(withEnvs({ Staging: origin("203.0.113.8") }), null, 4).replace(/\n/g, "\r\n") + "\r\n";
    const merged = mergeSectionConfigFiles(bytes(PRODUCTION), Buffer.from(ours), bytes(withEnvs({ Dev: origin("203.0.113.9") })));
    const expected = withEnvs({ Staging: origin("203.0.113.8"), Dev: origin("203.0.113.9") });
    expect(merged).toEqual({ ok: true, text: "\uFEFF" + JSON.stringify(expected, null, 4).replace(/\n/g, "\r\n") + "\r\n" });
  });

  it("names the conflicting key paths, and refuses to merge text that is not strict UTF-8 JSON", () => {
    const clash = mergeSectionConfigFiles(
      bytes(PRODUCTION),
      bytes(withEnvs({ Production: origin("203.0.113.70") })),
      bytes(withEnvs({ Production: origin("203.0.113.71") })),
    );
    expect(clash.ok === false && clash.code === "conflict" && clash.conflicts.map((c) => c.path)).toEqual([
      "environments.Production.origin.address",
    ]);
    const utf16 = mergeSectionConfigFiles(bytes(PRODUCTION), Buffer.from(serializeSectionConfig(PRODUCTION), "utf16le"), bytes(PRODUCTION));
    expect(utf16).toMatchObject({ ok: false, code: "unreadable", side: "ours" });
    const duplicate = mergeSectionConfigFiles(null, bytes(PRODUCTION), Buffer.from('{"a":1,"a":2}'));
    expect(duplicate).toMatchObject({ ok: false, code: "unreadable", side: "theirs", issues: [{ path: "a" }] });
  });
});
