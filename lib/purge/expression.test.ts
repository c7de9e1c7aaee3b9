import { describe, expect, it } from "vitest";
import {
  banFor,
  parseBanExpression,
  purgeEverything,
  purgeExpression,
  purgeFromBanExpression,
  purgePrefix,
  purgeUrl,
  regexLiteral,
} from "./expression";

// The purge parser (docs/product.md §10 "Purge", docs/edge.md "Purge"): what each kind becomes as a ban (obj.* only,
// always limited to the environment) and the messages malformed input gets, which never reaches a node.

const refusal = (r: { ok: boolean; message?: string }) => (r.ok ? "(accepted)" : r.message);

describe("purge kinds become obj.* bans limited to the environment", () => {
  it("everything, a prefix (metacharacters escaped) and an exact URL with or without its Host", () => {
    expect(purgeEverything("e17")).toEqual({ kind: "all", input: "", ban: 'obj.http.x-edge-env == "e17"' });
    expect(purgePrefix("e17", " /img/v1.2/ ")).toEqual({
      ok: true,
      purge: { kind: "prefix", input: "/img/v1.2/", ban: 'obj.http.x-edge-env == "e17" && obj.http.x-edge-url ~ "^/img/v1\\\\.2/"' },
    });
    expect(purgeUrl("e3", "/a/b?x=1#frag")).toMatchObject({
      ok: true,
      purge: { kind: "url", ban: 'obj.http.x-edge-env == "e3" && obj.http.x-edge-url == "/a/b?x=1"' },
    });
    expect(purgeUrl("e3", "https://WWW.Example.com:8443/a?q=2")).toMatchObject({
      ok: true,
      purge: {
        kind: "url",
        input: "https://WWW.Example.com:8443/a?q=2",
        ban: 'obj.http.x-edge-env == "e3" && obj.http.x-edge-url == "/a?q=2" && obj.http.x-edge-host == "www.example.com"',
      },
    });
  });

  it("an expression: req.url and req.http.host become object headers, obj.* stay, quotes and backslashes are escaped for the CLI", () => {
    expect(purgeExpression("e9", 'req.url ~ "^/api/" && req.http.Host == "shop.example" && obj.status != 200')).toMatchObject({
      ok: true,
      purge: {
        kind: "expression",
        ban: 'obj.http.x-edge-env == "e9" && obj.http.x-edge-url ~ "^/api/" && obj.http.x-edge-host == "shop.example" && obj.status != 200',
      },
    });
    expect(purgeExpression("e9", 'obj.http.X-Tag == "a\\"b\\\\c"')).toMatchObject({
      ok: true,
      purge: { ban: 'obj.http.x-edge-env == "e9" && obj.http.x-tag == "a\\"b\\\\c"' },
    });
    // varnishd's CLI splits a ban at spaces even inside quotes: a space becomes \x20 in an anchored regular expression.
    expect(purgeExpression("e9", 'obj.http.x-tag == "red shoes"')).toMatchObject({
      ok: true,
      purge: { ban: 'obj.http.x-edge-env == "e9" && obj.http.x-tag ~ "^red\\\\x20shoes$"' },
    });
    expect(banFor("e1", [{ field: "obj.http.x", op: "!=", value: "a b" }])).toBe(
      'obj.http.x-edge-env == "e1" && obj.http.x !~ "^a\\\\x20b$"',
    );
    expect(regexLiteral("/a.b?(c)")).toBe("/a\\.b\\?\\(c\\)");
  });

  it("Section's banExpression: none, `req.url ~ /` and `^/` purge everything; a literal ^/prefix is a prefix purge; anything else an expression", () => {
    expect(purgeFromBanExpression("e5", undefined)).toMatchObject({ ok: true, purge: { kind: "all" } });
    expect(purgeFromBanExpression("e5", "  ")).toMatchObject({ ok: true, purge: { kind: "all" } });
    expect(purgeFromBanExpression("e5", "req.url ~ /")).toMatchObject({ ok: true, purge: { kind: "all" } });
    expect(purgeFromBanExpression("e5", 'req.url ~ "^/"')).toMatchObject({ ok: true, purge: { kind: "all" } });
    expect(purgeFromBanExpression("e5", 'req.url ~ "^/images/v1\\.2/"')).toMatchObject({
      ok: true,
      purge: { kind: "prefix", input: "/images/v1.2/" },
    });
    expect(purgeFromBanExpression("e5", 'req.url ~ "^/images/.*\\.png"')).toMatchObject({ ok: true, purge: { kind: "expression" } });
    expect(purgeFromBanExpression("e5", 'req.url ~ "/images"')).toMatchObject({ ok: true, purge: { kind: "expression" } });
    expect(purgeFromBanExpression("e5", 'req.url ~ "^/a" && obj.status == 404')).toMatchObject({ ok: true, purge: { kind: "expression" } });
  });
});

describe("bad input gets a message naming what to fix", () => {
  it.each([
    ["", /empty/],
    ['req.uri ~ "^/a"', /Unknown field "req.uri" at column 1/],
    ['req.http.cookie ~ "x"', /Only the Host request header/],
    ["obj.ttl < 10s", /Unknown field "obj.ttl"/],
    ["req.url", /Expected an operator .* after req.url/],
    ['req.url >= "/a"', /Expected an operator/],
    ["req.url ~ ", /Expected a value/],
    ['req.url ~ "^/a', /not closed/],
    ['req.url ~ "^/(a"', /not a valid regular expression/],
    ['req.url ~ "(?s)^/a"', /inline flag/],
    ['req.url ~ "^/a" &&', /ends with &&/],
    ['req.url ~ "^/a" || req.url ~ "^/b"', /Only && joins/],
    ['req.url ~ "^/a" req.url ~ "^/b"', /Expected && or the end of the expression at column 17/],
    ['obj.status ~ "5"', /obj.status is compared with == or !=/],
    ["obj.status == 20", /three-digit/],
    ['req.url == ""', /matches nothing/],
    ['req.url ~ "^/a"\n&& obj.status == 200', /line break/],
    [Array.from({ length: 11 }, (_, i) => `req.url ~ "^/${i}"`).join(" && "), /At most 10 conditions/],
    ['req.url ~ "^/' + "a".repeat(1000) + '"', /longer than 1000/],
    ['obj.http.x == a"b', /double quote/],
  ])("%j", (text, message) => {
    const parsed = parseBanExpression(text);
    expect(parsed.ok).toBe(false);
    expect(refusal(parsed)).toMatch(message);
  });

  it("prefixes and URLs must be paths without spaces; only http(s) URLs; no credentials", () => {
    expect(refusal(purgePrefix("e1", ""))).toMatch(/Enter a prefix starting with \//);
    expect(refusal(purgePrefix("e1", "images/"))).toMatch(/must start with \//);
    expect(refusal(purgePrefix("e1", "/a b"))).toMatch(/percent-encoded/);
    expect(refusal(purgeUrl("e1", "ftp://x.example/a"))).toMatch(/Only http:\/\/ and https:\/\//);
    expect(refusal(purgeUrl("e1", "https://u:p@x.example/a"))).toMatch(/user name and password/);
    expect(refusal(purgeUrl("e1", "https://["))).toMatch(/cannot be read/);
    expect(refusal(purgeUrl("e1", "a/b"))).toMatch(/must start with \//);
  });

  it("a malformed environment key is a programming error, never a ban for every environment", () => {
    expect(() => purgeEverything("17")).toThrow(/malformed/);
    expect(() => purgeEverything('e1" || obj.status == 200 || "')).toThrow(/malformed/);
  });
});
