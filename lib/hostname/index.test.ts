import { afterEach, describe, expect, it } from "vitest";
import { resetSettings } from "@/lib/config";
import { checkHostnameSyntax, cnameTarget, normaliseHostname, specialUseName, type HostnameResult } from "@/lib/hostname";

const SUFFIX = "edge.localhost";

// A name of exactly `length` characters: labels of at most 63 "a"s in front of "com".
function nameOfLength(length: number): string {
  let name = "com";
  while (name.length < length) {
    let size = Math.min(63, length - name.length - 1);
    if (length - name.length - 1 - size === 1) size -= 1; // never leave a gap of one character (no room for ".x")
    name = `${"a".repeat(size)}.${name}`;
  }
  if (name.length !== length) throw new Error(`nameOfLength(${length}) built ${name.length}`);
  return name;
}

function accepted(result: HostnameResult) {
  if (!result.ok) throw new Error(`refused: ${result.code}: ${result.message}`);
  return result;
}

describe("normaliseHostname: accepted", () => {
  it.each([
    [" WWW.Example.COM ", "www.example.com"],
    ["www.example.com.", "www.example.com"],
    ["shop.example.co.uk", "shop.example.co.uk"],
    ["a-b.example.com", "a-b.example.com"],
  ])("%j → %s", (input, stored) => {
    const result = accepted(normaliseHostname(input, { edgeCnameSuffix: SUFFIX }));
    expect(result.hostname).toBe(stored);
    expect(result.notice).toBeUndefined();
  });

  it("takes the hostname from a pasted URL and says so", () => {
    const result = accepted(normaliseHostname("https://www.example.com/path?q=1", { edgeCnameSuffix: SUFFIX }));
    expect(result.hostname).toBe("www.example.com");
    expect(result.notice).toBe("We took the hostname from the URL you pasted: www.example.com.");
  });

  it("takes the hostname from a URL with a port and credentials and names both in the notice", () => {
    const result = accepted(normaliseHostname("https://user:secret@WWW.Example.com:8443/", { edgeCnameSuffix: SUFFIX }));
    expect(result.hostname).toBe("www.example.com");
    expect(result.notice).toContain("port 8443 was left out");
    expect(result.notice).toContain("user name and password");
    expect(result.notice).not.toContain("secret");
  });

  it("takes the hostname from a scheme-less URL with a path", () => {
    const result = accepted(normaliseHostname("www.example.com/shop", { edgeCnameSuffix: SUFFIX }));
    expect(result.hostname).toBe("www.example.com");
    expect(result.notice).toMatch(/^We took the hostname/);
  });

  it.each(["bücher.example", "xn--bcher-kva.example", "BÜCHER.example", "https://bücher.example/"])(
    "%s is stored as the A-label xn--bcher-kva.example and shown as bücher.example",
    (input) => {
      const result = accepted(normaliseHostname(input, { edgeCnameSuffix: SUFFIX }));
      expect(result.hostname).toBe("xn--bcher-kva.example");
      expect(result.unicode).toBe("bücher.example");
    },
  );

  it("accepts punycode top-level domains", () => {
    const result = accepted(normaliseHostname("www.例え.テスト", { edgeCnameSuffix: SUFFIX }));
    expect(result.hostname).toBe("www.xn--r8jz45g.xn--zckzah");
    expect(accepted(normaliseHostname("shop.xn--fiqs8s", { edgeCnameSuffix: SUFFIX })).unicode).toBe("shop.中国");
  });

  it("accepts the longest name whose CNAME target is exactly 253 characters, refuses one more", () => {
    const name = nameOfLength(253 - ".edge.localhost".length);
    expect(cnameTarget(accepted(normaliseHostname(name, { edgeCnameSuffix: SUFFIX })).hostname, SUFFIX)).toHaveLength(253);
    const longer = normaliseHostname(`a${name}`, { edgeCnameSuffix: SUFFIX });
    expect(longer.ok ? "ok" : longer.code).toBe("cname_target_too_long");
  });

  const originalSuffix = process.env.EDGE_CNAME_SUFFIX;
  afterEach(() => {
    if (originalSuffix === undefined) delete process.env.EDGE_CNAME_SUFFIX;
    else process.env.EDGE_CNAME_SUFFIX = originalSuffix;
    resetSettings();
  });

  it("uses EDGE_CNAME_SUFFIX from the settings by default", () => {
    process.env.EDGE_CNAME_SUFFIX = "e".repeat(100) + ".example.net";
    resetSettings();
    const result = normaliseHostname(nameOfLength(150));
    expect(result.ok ? "ok" : result.code).toBe("cname_target_too_long");
  });
});

describe("normaliseHostname: apex", () => {
  it.each([
    ["example.com", true, "example.com"],
    ["example.co.uk", true, "example.co.uk"],
    ["shop.example.co.uk", false, "example.co.uk"],
    ["www.example.com", false, "example.com"],
    // github.io is in the PSL's private section only: for DNS purposes its registrable domain is github.io.
    ["me.github.io", false, "github.io"],
    // The exception rule !city.kobe.jp cancels *.kobe.jp; like the PSL vectors, the registrable domain is kobe.jp.
    ["city.kobe.jp", false, "kobe.jp"],
    ["www.ck", true, "www.ck"],
  ])("%s: isApex %s, apex %s", (input, isApex, apex) => {
    const result = accepted(normaliseHostname(input, { edgeCnameSuffix: SUFFIX }));
    expect(result.isApex).toBe(isApex);
    expect(result.apex).toBe(apex);
  });
});

describe("normaliseHostname: refused, each with its own code and message", () => {
  const refused: [string, string, string, RegExp][] = [
    ["more than one trailing dot", "example.com..", "trailing_dots", /more than one dot/],
    ["a label starting with a hyphen", "-a.example.com", "label_hyphen", /“-a” starts or ends with a hyphen/],
    ["an empty label", "a..b.com", "empty_label", /empty part/],
    ["a 64-character label", `${"a".repeat(64)}.example.com`, "label_too_long", /64 characters long.*at most 63/],
    ["a 254-character name", nameOfLength(254), "name_too_long", /254 characters long; DNS allows at most 253/],
    ["a CNAME target over 253", nameOfLength(240), "cname_target_too_long", /CNAME target .* would be 255/],
    ["an IPv4 address", "192.0.2.1", "ip_address", /IP address/],
    ["an ICANN public suffix", "co.uk", "public_suffix", /public suffix.*example\.co\.uk/],
    ["a private-section public suffix", "github.io", "private_suffix", /shared domain.*yourname\.github\.io/],
    ["a wildcard", "*.example.com", "wildcard", /^Wildcard hostnames are not supported yet/],
    [
      "a special-use name",
      "Printer.Local.",
      "special_use",
      /^“printer\.local” is under “local”, which .*multicast DNS \(RFC 6762 §3\): it can never be registered in the public DNS/,
    ],
    [
      "another customer's CNAME target",
      "www.alice.test.edge.localhost",
      "edge_domain",
      /^“www\.alice\.test\.edge\.localhost” is under the edge's own domain \(edge\.localhost\).*use your website's hostname/,
    ],
  ];

  it.each([
    ["the suffix itself", "EDGE.localhost."],
    ["a pasted URL under it", "https://x.Edge.Localhost:8443/p"],
    ["an IDN under it", "bücher.edge.localhost"],
  ])("refuses %s (%j) as under the edge's own domain", (_what, input) => {
    const result = normaliseHostname(input, { edgeCnameSuffix: SUFFIX });
    expect(result).toMatchObject({ ok: false, code: "edge_domain", message: expect.stringMatching(/under the edge's own domain/) });
  });

  it("refuses names under the configured EDGE_CNAME_SUFFIX, and only those", () => {
    expect(normaliseHostname("www.example.com.cdn.example.net", { edgeCnameSuffix: "cdn.example.net" })).toMatchObject({
      code: "edge_domain",
    });
    expect(normaliseHostname("www.edge.localhost.example", { edgeCnameSuffix: SUFFIX }).ok).toBe(true);
    expect(normaliseHostname("notcdn.example.net", { edgeCnameSuffix: "cdn.example.net" }).ok).toBe(true);
    expect(normaliseHostname("notedge.localhost", { edgeCnameSuffix: SUFFIX })).toMatchObject({ ok: false, code: "special_use" });
    expect(normaliseHostname("www.example.com.edge.localhost")).toMatchObject({ ok: false, code: "edge_domain" });
  });

  it.each(refused)("%s (%j) → %s", (_what, input, code, message) => {
    const result = normaliseHostname(input, { edgeCnameSuffix: SUFFIX });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message).toMatch(message);
  });

  it("gives pairwise distinct codes and messages", () => {
    const results = refused.map(([, input]) => normaliseHostname(input, { edgeCnameSuffix: SUFFIX }));
    const codes = results.map((r) => (r.ok ? "ok" : r.code));
    const messages = results.map((r) => (r.ok ? "ok" : r.message));
    expect(new Set(codes).size).toBe(refused.length);
    expect(new Set(messages).size).toBe(refused.length);
  });

  it("checks the 254-character and CNAME vectors are the lengths they claim", () => {
    expect(nameOfLength(254)).toHaveLength(254);
    expect(nameOfLength(240).length).toBeLessThanOrEqual(253);
    expect(cnameTarget(nameOfLength(240), SUFFIX)).toHaveLength(255);
  });

  it.each([
    ["", "empty"],
    ["   ", "empty"],
    ["localhost", "single_label"],
    ["[2001:db8::1]", "ip_address"],
    ["2001:db8::1", "ip_address"],
    ["http://[2001:db8::1]:8080/", "ip_address"],
    ["0x7f.1", "ip_address"],
    ["example.123", "numeric_tld"],
    ["_dmarc.example.com", "invalid_character"],
    ["exa mple.com", "invalid_character"],
    ["xn--zz.example", "invalid_idna"],
    [".example.com", "empty_label"],
    ["a-.example.com", "label_hyphen"],
    ["test.ck", "public_suffix"],
    ["http://", "invalid_url"],
  ])("%j → %s", (input, code) => {
    const result = normaliseHostname(input, { edgeCnameSuffix: SUFFIX });
    expect(result.ok ? "ok" : result.code).toBe(code);
  });
});

describe("checkHostnameSyntax", () => {
  it("ignores the Public Suffix List (origins may be anything resolvable)", () => {
    expect(checkHostnameSyntax("co.uk")).toEqual({ ok: true, hostname: "co.uk", unicode: "co.uk" });
  });
});

describe("cnameTarget", () => {
  it("appends the edge suffix", () => {
    expect(cnameTarget("www.example.com", SUFFIX)).toBe("www.example.com.edge.localhost");
  });
});

describe("normaliseHostname: other schemes", () => {
  it.each(["mailto:x@y.com", "ftp://files.example.com/", "javascript:alert(1)"])("refuses %s", (input) => {
    const result = normaliseHostname(input, { edgeCnameSuffix: SUFFIX });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe("invalid_url");
  });
  it("still reads a hostname with a port as a URL", () => {
    const result = accepted(normaliseHostname("www.example.com:8443", { edgeCnameSuffix: SUFFIX }));
    expect(result.hostname).toBe("www.example.com");
    expect(result.notice).toContain("8443");
  });
});

describe("normaliseHostname: special-use names (RFC 6761 and the IANA special-use registry)", () => {
  it.each([
    ["app.localhost", "localhost", /RFC 6761 §6\.3/],
    ["a.b.LOCALHOST.", "localhost", /always means the computer asking/],
    ["https://dev.localhost:3000/", "localhost", /RFC 6761/],
    ["www.example.invalid", "invalid", /reserved never to exist \(RFC 6761 §6\.4\)/],
    ["printer.local", "local", /multicast DNS \(RFC 6762 §3\)/],
    ["bücher.local", "local", /RFC 6762/],
    ["\uff50\uff52\uff49\uff4e\uff54\uff45\uff52\uff0e\uff4c\uff4f\uff43\uff41\uff4c", "local", /RFC 6762/],
    ["nas\u3002local", "local", /RFC 6762/],
    ["http://nas.local:5000/admin", "local", /RFC 6762/],
    ["duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", "onion", /Tor \(RFC 7686\)/],
    ["www.facebookwkhpilnemxj7asaniu7vnjjbiltxjqhye3mhbshg7kx5tfyd.onion", "onion", /RFC 7686/],
    ["name.alt", "alt", /outside the DNS \(RFC 9476\)/],
    ["x.y.alt", "alt", /RFC 9476/],
    ["db.internal", "internal", /ICANN for private networks/],
    ["app.corp.internal", "internal", /never delegated/],
    ["router.home.arpa", "home.arpa", /home networks \(RFC 8375\)/],
    ["home.arpa", "home.arpa", /^“home\.arpa” is reserved for home networks/],
    ["1.2.0.192.in-addr.arpa", "in-addr.arpa", /reverse DNS for IPv4 addresses/],
    ["in-addr.arpa", "in-addr.arpa", /reverse DNS/],
    ["b.a.9.8.ip6.arpa", "ip6.arpa", /reverse DNS for IPv6 addresses/],
    ["ip6.arpa", "ip6.arpa", /reverse DNS/],
    ["resolver.arpa", "arpa", /infrastructure domain \(RFC 3172\)/],
    ["ipv4only.arpa", "arpa", /RFC 3172/],
    ["x.6tisch.arpa", "arpa", /RFC 3172/],
  ])("refuses %j (under %s)", (input, zone, message) => {
    const result = normaliseHostname(input, { edgeCnameSuffix: "cdn.example.net" });
    expect(result).toMatchObject({ ok: false, code: "special_use", message: expect.stringMatching(message) });
    if (!result.ok) {
      expect(result.message).toContain(zone);
      expect(result.message).toMatch(/Enter your website's public hostname, e\.g\. www\.example\.com\.$/);
    }
  });

  it.each([
    "www.example.test",
    "shop.test",
    "www.example",
    "example.com",
    "www.example.net",
    "example.org",
    "localhost.example.com",
    "local.example.com",
    "www.onion.example.com",
    "internal.example.com",
    "home.arpa.example.com",
    "in-addr.arpa.example.com",
    "my-local.com",
    "www.locals.example",
    "x.alternative.example",
    "x.internals.test",
    "onions.test",
    "arpa.test",
  ])("accepts %j (testing, documentation and look-alikes)", (input) => {
    const result = normaliseHostname(input, { edgeCnameSuffix: "cdn.example.net" });
    expect(result.ok ? "ok" : result.code).toBe("ok");
  });

  it("specialUseName names the most specific zone and nothing for other names", () => {
    expect(specialUseName("a.home.arpa")).toMatchObject({ zone: "home.arpa" });
    expect(specialUseName("4.3.2.1.in-addr.arpa")).toMatchObject({ zone: "in-addr.arpa" });
    expect(specialUseName("x.arpa")).toMatchObject({ zone: "arpa" });
    expect(specialUseName("localhost")).toMatchObject({ zone: "localhost" });
    expect(specialUseName("notlocalhost")).toBeNull();
    expect(specialUseName("www.example.test")).toBeNull();
  });
});
