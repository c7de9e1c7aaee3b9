import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { originCaFile } from "./origin-ca";

// EDGE_ORIGIN_CA_FILE: the CAs trusted for HTTPS origins besides the system's (docs/edge.md "One request").

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-origin-ca-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

describe("originCaFile", () => {
  const system = path.join(dir, "system.crt");
  fs.writeFileSync(system, pem("U1lTVEVN"));

  it("is the system bundle when EDGE_ORIGIN_CA_FILE is unset or empty", () => {
    expect(originCaFile(dir, undefined, system)).toBe(system);
    expect(originCaFile(dir, " ", system)).toBe(system);
  });

  it("appends the extra file's certificates to the system bundle, under a name that follows the content", () => {
    const extra = path.join(dir, "extra.crt");
    fs.writeFileSync(extra, `a comment line\n${pem("RVhUUkEx")}`);
    const first = originCaFile(dir, extra, system);
    expect(path.basename(first)).toMatch(/^origin-ca-[0-9a-f]{16}\.pem$/);
    expect(fs.readFileSync(first, "utf8")).toBe(`${pem("U1lTVEVN")}${pem("RVhUUkEx")}`);
    expect(originCaFile(dir, extra, system)).toBe(first);
    fs.writeFileSync(extra, pem("RVhUUkEy"));
    const second = originCaFile(dir, extra, system);
    expect(second).not.toBe(first);
    expect(fs.existsSync(first)).toBe(false);
    expect(fs.readFileSync(second, "utf8")).toContain("RVhUUkEy");
  });

  it("names EDGE_ORIGIN_CA_FILE when the file is missing or holds no certificate", () => {
    expect(() => originCaFile(dir, path.join(dir, "nope.crt"), system)).toThrow(/^EDGE_ORIGIN_CA_FILE: cannot read .*nope\.crt/);
    const empty = path.join(dir, "empty.crt");
    fs.writeFileSync(empty, "not a certificate\n");
    expect(() => originCaFile(dir, empty, system)).toThrow(/EDGE_ORIGIN_CA_FILE: .*empty\.crt holds no PEM certificate/);
  });
});
