import { afterEach, describe, expect, it } from "vitest";
import { resetSettings } from "@/lib/config";
import { parseOrigin, type OriginOptions } from "@/lib/origin";
import { formatSectionConfigIssues, parseSectionConfig, validateSectionConfig } from "./schema";

// docs/product.md §3.3 step 2 applied to section.config.json: the validator refuses exactly the origins the wizard refuses
// (both use lib/origin refuseOriginHost), at the key path of the address, without DNS.

const POLICY: OriginOptions = {
  allowPrivate: false,
  edgeIpv4: ["192.0.2.10"],
  edgeIpv6: ["2001:db8:e::1"],
  edgeCnameSuffix: "edge.localhost",
};

const config = (address: string, alternate?: string) => ({
  proxychain: [],
  environments: {
    Production: { origin: { address: "203.0.113.7" } },
    Staging: { origin: { address }, ...(alternate ? { alternate_origins: { images: { address: alternate } } } : {}) },
  },
});
const issuesOf = (value: unknown, origins: OriginOptions = POLICY) => {
  const result = validateSectionConfig(value, { origins });
  return result.ok ? [] : result.issues;
};

describe("section.config.json origins", () => {
  afterEach(() => {
    delete process.env.ALLOW_PRIVATE_ORIGINS;
    resetSettings();
  });

  it.each([
    ["169.254.169.254", /^169\.254\.169\.254 is a link-local address; the edge cannot reach it/],
    ["127.0.0.1", /^127\.0\.0\.1 is a loopback address/],
    ["::1", /^::1 is a loopback address/],
    ["10.1.2.3", /^10\.1\.2\.3 is a private address \(RFC 1918\)/],
    ["192.168.0.1", /private address/],
    ["fd12:3456::1", /unique local address/],
    ["fe80::1", /link-local address/],
    ["0.0.0.0", /unspecified address/],
    ["224.0.0.1", /multicast address/],
    ["::ffff:127.0.0.1", /^::ffff:127\.0\.0\.1 \(127\.0\.0\.1\) is a loopback address/],
    ["2130706433", /^2130706433 \(127\.0\.0\.1\) is a loopback address/],
    ["0x7f.1", /^0x7f\.1 \(127\.0\.0\.1\) is a loopback address/],
    ["localhost", /^localhost is a loopback name \(RFC 6761\)/],
    ["api.localhost", /^api\.localhost is a loopback name/],
    ["192.0.2.10", /^192\.0\.2\.10 is the edge itself/],
    ["2001:db8:e::1", /^2001:db8:e::1 is the edge itself/],
    ["www.alice.test.edge.localhost", /^www\.alice\.test\.edge\.localhost is the edge itself/],
    ["EDGE.localhost.", /^edge\.localhost is the edge itself/],
  ])("refuses %s as an origin, naming the key path", (address, message) => {
    const issues = issuesOf(config(address));
    expect(issues).toEqual([{ path: "environments.Staging.origin.address", message: expect.stringMatching(message) }]);
    // The wizard refuses the same address with the same words.
    const wizard = parseOrigin({ address }, POLICY);
    expect(!wizard.ok && wizard.fieldErrors.address).toBe(issues[0].message);
  });

  it("refuses alternate origins too, and every refused address at once", () => {
    expect(issuesOf(config("127.0.0.1", "169.254.169.254"))).toEqual([
      { path: "environments.Staging.origin.address", message: expect.stringMatching(/loopback/) },
      {
        path: "environments.Staging.alternate_origins.images.address",
        message: expect.stringMatching(/^169\.254\.169\.254 is a link-local address/),
      },
    ]);
    const text = JSON.stringify(config("203.0.113.8", "192.0.2.10"));
    const result = parseSectionConfig(text, { environment: "Staging", origins: POLICY });
    expect(formatSectionConfigIssues(result.ok ? [] : result.issues)).toEqual([
      "section.config.json environments.Staging.alternate_origins.images.address: 192.0.2.10 is the edge itself; point the origin at your own server.",
    ]);
  });

  it("accepts public addresses, names and the documentation ranges other than the edge's own", () => {
    for (const address of [
      "203.0.113.7",
      "198.51.100.9",
      "192.0.2.11",
      "2001:db8::7",
      "8.8.8.8",
      "origin.example.com",
      "edge.localhost.example",
      "localhost.example",
    ]) {
      expect(issuesOf(config(address, address)), address).toEqual([]);
      expect(parseOrigin({ address }, POLICY).ok, address).toBe(true);
    }
  });

  it("accepts private and loopback origins with ALLOW_PRIVATE_ORIGINS=true, never the edge itself", () => {
    process.env.ALLOW_PRIVATE_ORIGINS = "true";
    resetSettings();
    for (const address of ["127.0.0.1", "10.0.0.1", "169.254.169.254", "fd00::1", "localhost", "db.localhost"]) {
      expect(validateSectionConfig(config(address)).ok, address).toBe(true);
    }
    expect(issuesOf(config("192.0.2.10"), { ...POLICY, allowPrivate: true })[0].message).toMatch(/the edge itself/);
    expect(issuesOf(config("x.edge.localhost"), { ...POLICY, allowPrivate: true })[0].message).toMatch(/the edge itself/);
  });

  it("reads the settings when no override is given (EDGE_IPV4 default 192.0.2.10, private refused)", () => {
    expect(validateSectionConfig(config("192.0.2.10")).ok).toBe(false);
    expect(validateSectionConfig(config("10.0.0.1")).ok).toBe(false);
    expect(validateSectionConfig(config("203.0.113.8")).ok).toBe(true);
  });
});
