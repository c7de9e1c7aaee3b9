import { afterEach, describe, expect, it } from "vitest";
import { resetSettings } from "@/lib/config";
import { describeAddressRange, parseOrigin, type OriginInput, type OriginOptions, type OriginResult } from "@/lib/origin";
import { validateSectionConfig } from "@/lib/section-config/schema";

const EDGE: OriginOptions = {
  allowPrivate: false,
  edgeIpv4: ["192.0.2.10", "192.0.2.11"],
  edgeIpv6: ["2001:db8:e::1"],
  edgeCnameSuffix: "edge.example.net",
};

const parse = (input: OriginInput | string, opts: OriginOptions = EDGE) =>
  parseOrigin(typeof input === "string" ? { address: input } : input, { ...EDGE, ...opts });

function origin(result: OriginResult) {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.fieldErrors)}`);
  return result.origin;
}

function errors(result: OriginResult) {
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.origin)}`);
  return result.fieldErrors;
}

describe("parseOrigin: accepted", () => {
  it("defaults to https on port 443 without a Host header", () => {
    expect(origin(parse("203.0.113.7"))).toEqual({ address: "203.0.113.7", protocol: "https", port: 443 });
  });

  it("defaults the port to 80 for http", () => {
    expect(origin(parse({ address: "203.0.113.7", protocol: "HTTP" }))).toEqual({
      address: "203.0.113.7",
      protocol: "http",
      port: 80,
    });
  });

  it("accepts a hostname, normalised to its A-label form, whatever its public suffix", () => {
    expect(origin(parse(" Origin.Example.COM. ")).address).toBe("origin.example.com");
    expect(origin(parse("origin.bücher.example")).address).toBe("origin.xn--bcher-kva.example");
    expect(origin(parse("co.uk")).address).toBe("co.uk");
  });

  it("accepts IPv6 in canonical form, with or without brackets", () => {
    expect(origin(parse("2001:DB8:0:0::7")).address).toBe("2001:db8::7");
    expect(origin(parse("[2001:db8::7]:8443"))).toEqual({ address: "2001:db8::7", protocol: "https", port: 8443 });
  });

  it("fills address, protocol and port from a pasted URL", () => {
    expect(origin(parse({ address: "http://1.2.3.4:8080", protocol: "https", port: "443" }))).toEqual({
      address: "1.2.3.4",
      protocol: "http",
      port: 8080,
    });
    expect(origin(parse("https://origin.example.com/"))).toEqual({
      address: "origin.example.com",
      protocol: "https",
      port: 443,
    });
    expect(origin(parse("http://[2001:db8::7]/"))).toEqual({ address: "2001:db8::7", protocol: "http", port: 80 });
  });

  it("takes the port from host:port", () => {
    expect(origin(parse({ address: "origin.example.com:8443", protocol: "https" })).port).toBe(8443);
  });

  it("accepts ports as numbers and text, at both ends of the range", () => {
    expect(origin(parse({ address: "203.0.113.7", port: 1 })).port).toBe(1);
    expect(origin(parse({ address: "203.0.113.7", port: " 65535 " })).port).toBe(65535);
  });

  it("normalises the Host header, optionally with a port; blank means none", () => {
    expect(origin(parse({ address: "203.0.113.7", hostHeader: "WWW.Example.com" })).host_header).toBe("www.example.com");
    expect(origin(parse({ address: "203.0.113.7", hostHeader: "www.example.com:8080" })).host_header).toBe("www.example.com:8080");
    expect(origin(parse({ address: "203.0.113.7", hostHeader: "  " }))).not.toHaveProperty("host_header");
  });
});

describe("parseOrigin: refused address kinds", () => {
  it.each([
    ["127.0.0.1", /127\.0\.0\.1 is a loopback address; the edge cannot reach it/],
    ["::1", /::1 is a loopback address/],
    ["10.1.2.3", /private address \(RFC 1918\)/],
    ["172.16.0.1", /private address \(RFC 1918\)/],
    ["192.168.1.1", /private address \(RFC 1918\)/],
    ["fd12:3456::1", /unique local address \(ULA, fc00::\/7\)/],
    ["169.254.169.254", /link-local address/],
    ["fe80::1", /link-local address/],
    ["0.0.0.0", /unspecified address/],
    ["::", /unspecified address/],
    ["224.0.0.1", /multicast address/],
    ["ff02::1", /multicast address/],
    ["100.64.0.1", /carrier-grade NAT address/],
    ["255.255.255.255", /the broadcast address/],
    ["::ffff:127.0.0.1", /::ffff:127\.0\.0\.1 \(127\.0\.0\.1\) is a loopback address/],
    ["::ffff:a01:203", /\(10\.1\.2\.3\) is a private address/],
    ["0x7f.1", /0x7f\.1 \(127\.0\.0\.1\) is a loopback address/],
    ["http://127.0.0.1:8080/", /127\.0\.0\.1 is a loopback address/],
    ["localhost", /localhost is a loopback name/],
    ["app.localhost", /app\.localhost is a loopback name/],
  ])("%s", (address, message) => {
    expect(errors(parse(address)).address).toMatch(message);
  });

  it("accepts those addresses when private origins are allowed", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "fd12:3456::1", "169.254.1.1", "100.64.0.1", "::ffff:127.0.0.1", "localhost"]) {
      expect(parse(address, { allowPrivate: true }).ok, address).toBe(true);
    }
    expect(origin(parse("::ffff:127.0.0.1", { allowPrivate: true })).address).toBe("127.0.0.1");
  });

  it("refuses the edge's own addresses and CNAME targets always, also when private origins are allowed", () => {
    for (const allowPrivate of [false, true]) {
      for (const address of ["192.0.2.10", "192.0.2.11", "2001:db8:e:0::1", "::ffff:192.0.2.10", "http://192.0.2.10:8080/"]) {
        expect(errors(parse(address, { allowPrivate })).address, address).toMatch(
          /is the edge itself; point the origin at your own server\./,
        );
      }
      expect(errors(parse("www.example.com.edge.example.net", { allowPrivate })).address).toMatch(/is the edge itself/);
    }
    expect(parse("192.0.2.12").ok).toBe(true);
  });

  const saved = { EDGE_IPV4: process.env.EDGE_IPV4, ALLOW_PRIVATE_ORIGINS: process.env.ALLOW_PRIVATE_ORIGINS };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetSettings();
  });

  it("reads the edge addresses and the private switch from the settings by default", () => {
    process.env.EDGE_IPV4 = "198.51.100.20";
    process.env.ALLOW_PRIVATE_ORIGINS = "true";
    resetSettings();
    expect(parseOrigin({ address: "198.51.100.20" }).ok).toBe(false);
    expect(parseOrigin({ address: "10.0.0.1" }).ok).toBe(true);
    process.env.ALLOW_PRIVATE_ORIGINS = "false";
    resetSettings();
    expect(parseOrigin({ address: "10.0.0.1" }).ok).toBe(false);
  });

  it.each([
    ["", /Enter your server's IP address or hostname/],
    ["ftp://203.0.113.7/", /http:\/\/ or https:\/\//],
    ["http://user:pw@203.0.113.7/", /user name and password/],
    ["http://203.0.113.7/app", /leave out the path/],
    ["*.example.com", /not a wildcard/],
    ["origin_1.example.com", /contains “_”/],
    ["fe80::1%eth0", /not a usable IP address/],
    ["203.0.113.7:0", /port after the address/],
  ])("refuses %j", (address, message) => {
    expect(errors(parse(address)).address).toMatch(message);
  });
});

describe("parseOrigin: protocol, port and Host header", () => {
  it.each(["ftp", "tcp", "h2"])("refuses protocol %j", (protocol) => {
    expect(errors(parse({ address: "203.0.113.7", protocol }))).toEqual({ protocol: "Choose http or https." });
  });

  it.each([0, 65536, 1.5, -1, Number.NaN, "0", "65536", "80a", "8 0", "-443", "1e3"])("refuses port %j", (port) => {
    expect(errors(parse({ address: "203.0.113.7", port })).port).toMatch(/from 1 to 65535/);
  });

  it.each(["http://www.example.com", "www.example.com:99999", "*.example.com", "www.exa mple.com"])(
    "refuses Host header %j",
    (hostHeader) => {
      expect(errors(parse({ address: "203.0.113.7", hostHeader })).hostHeader).toMatch(/Host header/);
    },
  );

  it("reports every wrong field at once", () => {
    expect(Object.keys(errors(parse({ address: "10.0.0.1", protocol: "gopher", port: "0", hostHeader: "a b" })))).toEqual([
      "address",
      "protocol",
      "port",
      "hostHeader",
    ]);
  });
});

describe("describeAddressRange", () => {
  it.each([
    ["8.8.8.8", "unicast"],
    ["127.0.0.1", "loopback"],
    ["10.0.0.1", "private"],
    ["100.64.0.1", "carrierGradeNat"],
    ["fd00::1", "uniqueLocal"],
    ["[fe80::1]", "linkLocal"],
    ["192.0.2.1", "reserved"],
    ["::ffff:127.0.0.1", "loopback"],
    ["example.com", "invalid"],
  ])("%s → %s", (ip, range) => {
    expect(describeAddressRange(ip)).toBe(range);
  });
});

describe("non-canonical IPv4 forms (WHATWG URL §3.5 IPv4 parser, inet_aton(3))", () => {
  const PUBLIC_NON_CANONICAL: [string, RegExp][] = [
    ["8.8.8", /^“8\.8\.8” means 8\.8\.0\.8 to most software: write 8\.8\.0\.8\.$/],
    ["8.526344", /means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\./],
    ["134744072", /^“134744072” means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\.$/],
    ["0x8080808", /means 8\.8\.8\.8 .*write 8\.8\.8\.8\./],
    ["0X08.0x08.0x08.0x08", /means 8\.8\.8\.8 .*write 8\.8\.8\.8\./],
    ["010.0.0.1", /^“010\.0\.0\.1” means 8\.0\.0\.1 to most software but 10\.0\.0\.1 to some .*: write 8\.0\.0\.1\.$/],
    ["0127.0.0.1", /means 87\.0\.0\.1 to most software but 127\.0\.0\.1 to some .*: write 87\.0\.0\.1\.$/],
    ["8.8.8.010", /means 8\.8\.8\.8 to most software but 8\.8\.8\.10 to some .*: write 8\.8\.8\.8 or 8\.8\.8\.10\.$/],
    ["08.8.8.8", /^“08\.8\.8\.8” is no IP address to most software but 8\.8\.8\.8 to some .*: write 8\.8\.8\.8\.$/],
    ["8.8.8.08", /is no IP address to most software but 8\.8\.8\.8 to some/],
    ["008.008.008.008", /is no IP address to most software but 8\.8\.8\.8 to some/],
    ["8.8.8.8.", /^“8\.8\.8\.8\.” means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\.$/],
    ["\uff18.\uff18.\uff18.\uff18", /means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\./],
    ["8\u30028\u30028\u30028", /means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\./],
    ["8.8.8.8\u00ad", /means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\./],
    ["[8.8.8.8]", /^“\[8\.8\.8\.8\]” means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\.$/],
    ["[8.8.8.8]:8080", /means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\./],
    ["8.8.8:8080", /means 8\.8\.0\.8 to most software: write 8\.8\.0\.8\./],
    ["http://8.8.8/", /^“8\.8\.8” means 8\.8\.0\.8 to most software: write 8\.8\.0\.8\.$/],
    ["https://0x8080808:8443/", /means 8\.8\.8\.8 to most software: write 8\.8\.8\.8\./],
    ["HTTP://@134744072/", /means 8\.8\.8\.8 to most software/],
    ["http://%30x8.8.8.8/", /^“0x8\.8\.8\.8” means 8\.8\.8\.8 to most software/],
    ["http://8.8.8.8./", /means 8\.8\.8\.8 to most software/],
    ["http://8.8\t.8/?#", /^“8\.8\.8” means 8\.8\.0\.8/],
  ];
  it.each(PUBLIC_NON_CANONICAL)("refuses %j, naming the address it means and what to write", (address, message) => {
    expect(errors(parse(address)).address).toMatch(message);
  });

  it("says what the short form means when private origins are allowed, and proposes both readings of leading zeros", () => {
    expect(errors(parse("10.1.1", { allowPrivate: true })).address).toBe("“10.1.1” means 10.1.0.1 to most software: write 10.1.0.1.");
    expect(errors(parse("0x7f.1", { allowPrivate: true })).address).toBe("“0x7f.1” means 127.0.0.1 to most software: write 127.0.0.1.");
    expect(errors(parse("167772161", { allowPrivate: true })).address).toMatch(/means 10\.0\.0\.1 .*write 10\.0\.0\.1\./);
    expect(errors(parse("010.0.0.1", { allowPrivate: true })).address).toMatch(/: write 8\.0\.0\.1 or 10\.0\.0\.1\.$/);
  });

  it("refuses the address a form means first when that address is refused anyway", () => {
    expect(errors(parse("10.1.1")).address).toMatch(/^10\.1\.1 \(10\.1\.0\.1\) is a private address \(RFC 1918\)/);
    expect(errors(parse("2130706433")).address).toMatch(/^2130706433 \(127\.0\.0\.1\) is a loopback address/);
    expect(errors(parse("4294967295")).address).toMatch(/the broadcast address/);
    expect(errors(parse("0x7f.1")).address).toMatch(/loopback address/);
    expect(errors(parse("0177.0.0.08")).address).toMatch(
      /^“0177\.0\.0\.08” is no IP address to most software but 177\.0\.0\.8 to some .*: write 177\.0\.0\.8\.$/,
    );
    expect(errors(parse("0127.0.0.08")).address).toMatch(/^0127\.0\.0\.08 \(127\.0\.0\.8\) is a loopback address/);
    expect(errors(parse("3232235777:80")).address).toMatch(/\(192\.168\.1\.1\) is a private address/);
    expect(errors(parse("192.0.2.10.", { allowPrivate: true })).address).toMatch(/is the edge itself/);
    expect(errors(parse("0xc0.0.2.10")).address).toMatch(/is the edge itself/);
  });

  it("refuses forms that are neither an address nor a hostname", () => {
    for (const address of ["4294967296", "1.2.3.256", "1.2.3.4.5", "0x1g.1", "::ffff:010.0.0.1", "::ffff:8.8.8", "[1.2.3]"]) {
      expect(parse(address).ok, address).toBe(false);
    }
  });

  it.each([
    ["8.8.8.8", "8.8.8.8"],
    ["203.0.113.7", "203.0.113.7"],
    ["100.63.255.255", "100.63.255.255"],
    ["http://%38.8.8.8/", "8.8.8.8"],
    ["::ffff:8.8.8.8", "8.8.8.8"],
    ["[2001:db8::7]", "2001:db8::7"],
    ["8.8.8.8.nip.io", "8.8.8.8.nip.io"],
    ["0x7f.example.com", "0x7f.example.com"],
    ["10-1-1.example.com", "10-1-1.example.com"],
    ["v10.1.1.example", "v10.1.1.example"],
  ])("accepts %j as %j", (address, stored) => {
    expect(origin(parse(address)).address).toBe(stored);
  });

  it("is the rule of the section.config.json validator too (same words, at the key path)", () => {
    const plain = PUBLIC_NON_CANONICAL.map(([a]) => a).filter((a) => !/[:/[\]]/.test(a) && /^[\x21-\x7e]+$/.test(a));
    expect(plain.length).toBeGreaterThan(10);
    for (const address of plain) {
      const result = validateSectionConfig({ proxychain: [], environments: { Production: { origin: { address } } } }, { origins: EDGE });
      expect(result, address).toEqual({
        ok: false,
        issues: [{ path: "environments.Production.origin.address", message: errors(parse(address)).address }],
      });
    }
  });
});
