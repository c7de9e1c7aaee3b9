import { describe, expect, it } from "vitest";
import { STACKS } from "@/lib/stacks/catalog";
import { locateJsonSyntaxError } from "./json-error";
import {
  buildInitialConfig,
  formatSectionConfigIssues,
  isIpOrCidr,
  parseSectionConfig,
  serializeSectionConfig,
  validateSectionConfig,
} from "./schema";

// The example of docs/product.md §5, verbatim.
const SPEC_EXAMPLE =
  '{"proxychain":[{"name":"varnish","image":"varnish:7.4"}],"environments":{"Production":{"origin":{"address":"203.0.113.7"}}}}';

const withProduction = (block: unknown) => ({ proxychain: [], environments: { Production: block } });
const issuesOf = (value: unknown) => {
  const result = validateSectionConfig(value);
  return result.ok ? [] : result.issues;
};

describe("section.config.json schema", () => {
  it("accepts the docs/product.md §5 example", () => {
    const result = parseSectionConfig(SPEC_EXAMPLE);
    expect(result).toEqual({ ok: true, config: JSON.parse(SPEC_EXAMPLE) });
  });

  it("accepts every environment block key of docs/product.md §5", () => {
    const origin = {
      address: "origin.example.com",
      protocol: "https",
      port: 8443,
      host_header: "www.example.com",
      tls_name: "origin.example.com",
      enable_sni: true,
      verify_certificate: false,
      disable_keepalive: false,
      remove_request_headers: ["X-Debug", "cookie"],
    };
    const config = {
      proxychain: [
        { name: "modsecurity", image: "modsecurity:3" },
        { name: "varnish", image: "varnish:7.4" },
      ],
      environments: {
        Production: {
          origin,
          alternate_origins: { images: { address: "2001:db8::7", port: 80 }, "api-v2": { address: "198.51.100.9" } },
          ip_blacklist: ["198.51.100.7", "203.0.113.0/24", "2001:db8::/32", "::1"],
        },
        Staging2: { origin: { address: "203.0.113.8" } },
      },
    };
    expect(validateSectionConfig(config)).toEqual({ ok: true, config });
  });

  it("rejects unknown keys at any depth, naming their path", () => {
    const issues = issuesOf({
      proxychain: [{ name: "varnish", image: "varnish:7.4", tag: "x" }],
      environments: { Production: { origin: { address: "203.0.113.7", "host-header": "a.com" }, cache: true } },
      extra: 1,
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "extra", message: 'unknown key "extra" at the top level' },
        { path: "proxychain[0].tag", message: 'unknown key "tag" in proxychain[0]' },
        { path: 'environments.Production.origin["host-header"]', message: 'unknown key "host-header" in environments.Production.origin' },
        { path: "environments.Production.cache", message: 'unknown key "cache" in environments.Production' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it("rejects environment names outside ^[A-Za-z][A-Za-z0-9]*$ and names differing only in case", () => {
    for (const name of ["staging-1", "1prod", "Prod uction", "Ünïcode", ""]) {
      const issues = issuesOf({ proxychain: [], environments: { [name]: { origin: { address: "203.0.113.7" } } } });
      expect(issues[0]?.message, name).toMatch(/environment names start with a letter/);
      expect(issues[0]?.path).toBe(`environments[${JSON.stringify(name)}]`);
    }
    expect(issuesOf({ proxychain: [], environments: {} })).toEqual([
      { path: "environments", message: "must contain at least one environment" },
    ]);
    const twice = issuesOf({
      proxychain: [],
      environments: { Staging: { origin: { address: "203.0.113.7" } }, staging: { origin: { address: "203.0.113.7" } } },
    });
    expect(twice).toEqual([{ path: "environments.staging", message: 'differs from "Staging" only in case' }]);
  });

  it("rejects bad IPs and CIDRs in ip_blacklist with the item's path", () => {
    const issues = issuesOf(
      withProduction({
        origin: { address: "203.0.113.7" },
        ip_blacklist: [
          "198.51.100.7",
          "999.1.1.1",
          "10.0.0.0/33",
          "10.0.0.0/8",
          "2001:db8::/129",
          "example.com",
          "010.1.1.1",
          "1.2.3.4/08",
        ],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      "environments.Production.ip_blacklist[1]",
      "environments.Production.ip_blacklist[2]",
      "environments.Production.ip_blacklist[4]",
      "environments.Production.ip_blacklist[5]",
      "environments.Production.ip_blacklist[6]",
      "environments.Production.ip_blacklist[7]",
    ]);
    expect(issues[0].message).toMatch(/must be an IP address or CIDR block/);
    expect(isIpOrCidr("0.0.0.0/0")).toBe(true);
    expect(isIpOrCidr("::/0")).toBe(true);
    expect(isIpOrCidr("1.2.3.4/")).toBe(false);
    // An IPv6 zone names an interface of one machine; HAProxy refuses it in an ACL file on the node.
    expect(isIpOrCidr("fe80::1%eth0")).toBe(false);
    expect(isIpOrCidr("fe80::1%eth0/64")).toBe(false);
    expect(isIpOrCidr("fe80::1/64")).toBe(true);
    expect(issuesOf(withProduction({ origin: { address: "fe80::1%eth0" } })).map((i) => i.path)).toEqual([
      "environments.Production.origin.address",
    ]);
  });

  it("checks origin values and reports a missing origin", () => {
    expect(issuesOf(withProduction({}))).toEqual([{ path: "environments.Production.origin", message: "is required" }]);
    const issues = issuesOf(
      withProduction({
        origin: {
          address: "https://example.com/",
          protocol: "ftp",
          port: 70000,
          host_header: "a b",
          enable_sni: "yes",
          verify_certificate: "no",
          remove_request_headers: ["X Bad"],
        },
        alternate_origins: { "bad name": { address: "203.0.113.7" }, ok: { address: "" } },
      }),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath).toMatchObject({
      "environments.Production.origin.address": expect.stringMatching(/IP address or a hostname/),
      "environments.Production.origin.protocol": 'must be "http" or "https"',
      "environments.Production.origin.port": "must be a number from 1 to 65535",
      "environments.Production.origin.host_header": expect.stringMatching(/must be a hostname/),
      "environments.Production.origin.enable_sni": "must be true or false",
      "environments.Production.origin.verify_certificate": "must be true or false",
      "environments.Production.origin.remove_request_headers[0]": "must be an HTTP header name",
      'environments.Production.alternate_origins["bad name"]': expect.stringMatching(/alternate origin names/),
      "environments.Production.alternate_origins.ok.address": expect.stringMatching(/must not be empty/),
    });
    expect(issuesOf(withProduction({ origin: { address: "203.0.113.7", port: "80" } }))[0].path).toBe(
      "environments.Production.origin.port",
    );
  });

  it("rejects a proxy chain with a module twice or without an image", () => {
    const issues = issuesOf({
      proxychain: [{ name: "varnish", image: "varnish:7.4" }, { name: "varnish", image: "varnish:7.4" }, { name: "nodejs" }],
      environments: { Production: { origin: { address: "203.0.113.7" } } },
    });
    expect(issues).toEqual([{ path: "proxychain[2].image", message: "is required" }]);
    const dup = issuesOf({
      proxychain: [
        { name: "varnish", image: "varnish:7.4" },
        { name: "varnish", image: "varnish:7.4" },
      ],
      environments: { Production: { origin: { address: "203.0.113.7" } } },
    });
    expect(dup).toEqual([{ path: "proxychain[1].name", message: '"varnish" appears twice in the proxy chain' }]);
  });

  it("explains invalid JSON with a line and column", () => {
    const text = '{\n  "proxychain": [],\n  "environments": {\n    "Production": { "origin": { "address": "a.com", } }\n  }\n}\n';
    expect(parseSectionConfig(text)).toEqual({
      ok: false,
      issues: [
        {
          path: "",
          line: 4,
          column: 51,
          message: "Invalid JSON at line 4, column 51: Trailing comma before '}' is not allowed in JSON",
        },
      ],
    });
    const empty = parseSectionConfig("");
    expect(!empty.ok && empty.issues[0].message).toMatch(/line 1, column 1: The file is empty/);
    const notObject = parseSectionConfig("[]");
    expect(!notObject.ok && notObject.issues).toEqual([{ path: "", message: "must be a JSON object with proxychain and environments" }]);
    expect(parseSectionConfig("\ufeff" + SPEC_EXAMPLE).ok).toBe(true);
  });

  it("locates a syntax error exactly when JSON.parse fails", () => {
    const samples = [
      "{}",
      "[]",
      "0",
      "-0.5e+3",
      '"x"',
      "true",
      "null",
      ' { "a" : [ 1 , { "b" : null } ] } ',
      "",
      " ",
      "{",
      "}",
      "[1,]",
      "[1 2]",
      '{"a" 1}',
      '{"a":}',
      "{'a':1}",
      '{"a":1}x',
      "01",
      "1.",
      "-",
      ".5",
      "+1",
      '"\\x"',
      '"\\u12G4"',
      '"line\nbreak"',
      '"open',
      "tru",
      "nul",
      "NaN",
      '{"a":1,,"b":2}',
      "[",
      '{"a":[}',
    ];
    for (const text of samples) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const located = locateJsonSyntaxError(text);
      expect(located === null, JSON.stringify(text)).toBe(valid);
      if (located) expect(located.offset, JSON.stringify(text)).toBeLessThanOrEqual(text.length);
    }
    expect(locateJsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toMatchObject({ line: 3, column: 3 });
  });

  it("requires the block of the branch's environment when asked", () => {
    const result = parseSectionConfig(SPEC_EXAMPLE, { environment: "Staging" });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: "environments.Staging", message: 'is missing: this branch needs the block of its environment "Staging"' }],
    });
    expect(formatSectionConfigIssues(result.ok ? [] : result.issues)).toEqual([
      'section.config.json environments.Staging: is missing: this branch needs the block of its environment "Staging"',
    ]);
  });

  it("builds a valid initial config for every stack and serialises it as 2-space JSON with a newline", () => {
    for (const stack of STACKS) {
      const config = buildInitialConfig(stack, { address: "203.0.113.7", protocol: "https", port: 443, host_header: "" });
      expect(config).toEqual({
        proxychain: stack.proxychain.map((m) => ({ ...m })),
        environments: { Production: { origin: { address: "203.0.113.7", protocol: "https", port: 443 } } },
      });
      expect(validateSectionConfig(config, { environment: "Production" }).ok).toBe(true);
    }
    const text = serializeSectionConfig(JSON.parse(SPEC_EXAMPLE));
    expect(text).toBe(
      '{\n  "proxychain": [\n    {\n      "name": "varnish",\n      "image": "varnish:7.4"\n    }\n  ],\n' +
        '  "environments": {\n    "Production": {\n      "origin": {\n        "address": "203.0.113.7"\n      }\n    }\n  }\n}\n',
    );
    expect(parseSectionConfig(text)).toEqual({ ok: true, config: JSON.parse(SPEC_EXAMPLE) });
  });
});
