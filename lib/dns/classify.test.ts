import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { base32Lower, matchesVerificationToken, newVerificationToken } from "@/lib/tokens/verification-token";
import { classify, type Expected } from "./classify";
import { observe, type Observation } from "./observe";
import { createResolver } from "./resolver";

const sub: Expected = {
  hostname: "www.x.test",
  cnameTarget: "www.x.test.edge.localhost",
  edgeIpv4: ["192.0.2.10", "192.0.2.11"],
  edgeIpv6: ["2001:db8:e::1"],
};
const apex: Expected = { ...sub, hostname: "x.test", cnameTarget: "x.test.edge.localhost", isApex: true };

function obs(partial: Partial<Observation>): Observation {
  return {
    hostname: "www.x.test",
    chain: [],
    final: "www.x.test",
    end: "ok",
    a: [],
    aaaa: [],
    ttl: null,
    txt: [],
    txtErrorCode: null,
    errorCode: null,
    errorName: null,
    ...partial,
  };
}

describe("classify", () => {
  it("is live when the chain reaches the CNAME target, compared case-insensitively without trailing dot", () => {
    expect(classify(obs({ chain: ["www.x.test.edge.localhost"], end: "stopped" }), sub)).toMatchObject({
      outcome: "live",
      reason: "cname-target",
    });
    expect(classify(obs({ chain: ["WWW.X.TEST.EDGE.LOCALHOST."], end: "stopped" }), sub).outcome).toBe("live");
    expect(classify(obs({ chain: ["a.net", "www.x.test.edge.localhost"], end: "dangling" }), sub).outcome).toBe("live");
    expect(classify(obs({ chain: ["www.x.test.edge.localhost"] }), { ...sub, cnameTarget: "WWW.X.TEST.EDGE.LOCALHOST." }).outcome).toBe(
      "live",
    );
  });

  it("is live on edge addresses only: at least one A, every A in EDGE_IPV4, no AAAA outside EDGE_IPV6", () => {
    expect(classify(obs({ a: ["192.0.2.10"] }), apex)).toMatchObject({ outcome: "live", reason: "edge-a" });
    expect(classify(obs({ a: ["192.0.2.11", "192.0.2.10"], aaaa: ["2001:db8:e:0:0:0:0:1"] }), apex).outcome).toBe("live");
    expect(classify(obs({ a: ["192.0.2.10"], chain: ["flattened.cdn.test"] }), sub).outcome).toBe("live");
    expect(classify(obs({ a: ["192.0.2.10"] }), { ...apex, edgeIpv4: ["192.000.002.010"] }).outcome).toBe("live");
  });

  it("names the foreign CNAME and the target for a subdomain pointing elsewhere", () => {
    const c = classify(obs({ chain: ["foo.example.net"], a: ["203.0.113.5"] }), sub);
    expect(c).toMatchObject({ outcome: "misconfigured", reason: "foreign-cname" });
    expect(c.explanation).toBe("www.x.test points to foo.example.net; point it to www.x.test.edge.localhost.");
    const longer = classify(obs({ chain: ["a.example.net", "b.example.net"] }), sub);
    expect(longer.explanation).toContain("points to b.example.net (via a.example.net)");
  });

  it("tells an apex with a CNAME to use A records or an ALIAS", () => {
    const c = classify(obs({ hostname: "x.test", chain: ["foo.example.net"], a: ["203.0.113.5"] }), apex);
    expect(c).toMatchObject({ outcome: "misconfigured", reason: "apex-cname" });
    expect(c.explanation).toContain("an apex cannot hold a CNAME");
    expect(c.explanation).toContain("A records for 192.0.2.10 and 192.0.2.11");
    expect(c.explanation).toContain("ALIAS to x.test.edge.localhost");
  });

  it("asks to remove a foreign A next to edge ones, or to replace foreign-only A records", () => {
    const mixed = classify(obs({ a: ["192.0.2.10", "203.0.113.5"] }), apex);
    expect(mixed).toMatchObject({
      outcome: "misconfigured",
      reason: "foreign-a",
      explanation: "remove the A record 203.0.113.5 from x.test.",
    });
    const foreign = classify(obs({ a: ["203.0.113.5", "203.0.113.6"] }), apex);
    expect(foreign.explanation).toMatch(/^replace the A records 203.0.113.5 and 203.0.113.6 of x.test with A records for 192.0.2.10/);
    const subForeign = classify(obs({ a: ["203.0.113.5"] }), sub);
    expect(subForeign.explanation).toBe("replace the A record 203.0.113.5 of www.x.test with a CNAME record to www.x.test.edge.localhost.");
  });

  it("asks to remove an AAAA outside EDGE_IPV6", () => {
    const c = classify(obs({ a: ["192.0.2.10"], aaaa: ["2001:db8::1"] }), apex);
    expect(c).toMatchObject({
      outcome: "misconfigured",
      reason: "foreign-aaaa",
      explanation: "remove the AAAA record 2001:db8::1 from x.test.",
    });
    const none = classify(obs({ a: ["192.0.2.10"], aaaa: ["2001:db8::1"] }), { ...apex, edgeIpv6: [] });
    expect(none.reason).toBe("foreign-aaaa");
  });

  it("is misconfigured without any A record", () => {
    expect(classify(obs({}), apex)).toMatchObject({ outcome: "misconfigured", reason: "no-a" });
    expect(classify(obs({ aaaa: ["2001:db8:e::1"] }), apex)).toMatchObject({ outcome: "misconfigured", reason: "no-a" });
    expect(classify(obs({}), sub).explanation).toContain("create a CNAME record to www.x.test.edge.localhost");
  });

  it("maps nxdomain, dangling, loop and too-long chains", () => {
    expect(classify(obs({ end: "nxdomain" }), sub)).toMatchObject({ outcome: "nxdomain", reason: "nxdomain" });
    const dangling = classify(obs({ end: "dangling", chain: ["gone.example.net"] }), sub);
    expect(dangling).toMatchObject({ outcome: "misconfigured", reason: "dangling" });
    expect(dangling.explanation).toContain("gone.example.net, which does not exist");
    const loop = classify(obs({ end: "loop", chain: ["b.test", "www.x.test"] }), sub);
    expect(loop).toMatchObject({ outcome: "misconfigured", reason: "loop" });
    expect(loop.explanation).toContain("www.x.test → b.test → www.x.test");
    expect(classify(obs({ end: "too-long", chain: Array.from({ length: 8 }, (_, i) => `h${i}.test`) }), sub).reason).toBe("too-long");
  });

  it("maps transient resolver errors to error with a machine reason", () => {
    const cases: [string, string][] = [
      ["ESERVFAIL", "servfail"],
      ["EREFUSED", "refused"],
      ["ETIMEOUT", "timeout"],
      ["ECONNREFUSED", "unreachable"],
      ["ECANCELLED", "cancelled"],
      ["EBADRESP", "resolver-error"],
    ];
    for (const [code, reason] of cases) {
      expect(classify(obs({ end: "error", errorCode: code, errorName: "www.x.test" }), sub)).toMatchObject({ outcome: "error", reason });
    }
  });

  it("requires the ownership TXT when a token is expected", () => {
    const pointing = obs({ chain: ["www.x.test.edge.localhost"], end: "stopped" });
    const expected = { ...sub, ownershipToken: "tok-123" };
    const missing = classify(pointing, expected);
    expect(missing).toMatchObject({ outcome: "misconfigured", reason: "ownership" });
    expect(missing.explanation).toContain("create a TXT record _edge-challenge.www.x.test with the value tok-123");
    expect(classify({ ...pointing, txt: ["other", "tok-123"] }, expected).outcome).toBe("live");
    expect(classify({ ...pointing, txtErrorCode: "ETIMEOUT" }, expected)).toMatchObject({ outcome: "error", reason: "timeout" });
    expect(classify(pointing, { ...expected, ownershipToken: null }).outcome).toBe("live");
  });

  it("writes one sentence per explanation", () => {
    const all = [
      classify(obs({ chain: ["foo.example.net"] }), sub),
      classify(obs({ a: ["203.0.113.5"], aaaa: ["2001:db8::5"] }), apex),
      classify(obs({ end: "error", errorCode: "ESERVFAIL", errorName: "www.x.test" }), sub),
    ];
    for (const c of all) expect(c.explanation.split(/\.\s+[A-Z]/)).toHaveLength(1);
  });
});

describe("ownership TXT as DNS panels store it", () => {
  const pointing = obs({ chain: ["www.x.test.edge.localhost"], end: "stopped" });
  /** A token of the new alphabet (lower-case base32, 160 bits), with a `k` for the Kelvin-sign look-alike. */
  const token = "mfrggzdfmztwq2lknnwg23tpobyxe43u";
  /** A token made before (32 bytes base64url): mixed case, `-` and `_`. */
  const legacy = "Qx7-kR2_vB9sLm4TzW1yHcE0aNfGdJ8pUoIiXqVb3Ks";
  const outcome = (txt: string[], t: string) => classify({ ...pointing, txt }, { ...sub, ownershipToken: t }).outcome;
  const half = (t: string) => [t.slice(0, 13), t.slice(13)];

  it.each([
    ["exact", token],
    ["upper case", token.toUpperCase()],
    ["mixed case", token.slice(0, 10).toUpperCase() + token.slice(10)],
    ["surrounding spaces", `  ${token}\t `],
    ["surrounding line breaks and a no-break space", `\n\u00a0${token}\r\n`],
    ["double quotes", `"${token}"`],
    ["quotes and spaces", ` " ${token} " `],
    ["single quotes", `'${token}'`],
    ["typographic quotes", `\u201c${token}\u201d`],
    ["quoted and upper case", `"${token.toUpperCase()}"`],
    ["escaped quotes inside quotes", `"\\"${token}\\""`],
    ["quotes in quotes", `"'${token}'"`],
    ["two quoted strings", `"${half(token)[0]}" "${half(token)[1]}"`],
    ["two quoted strings without blank", `"${half(token)[0]}""${half(token)[1]}"`],
    ["three quoted strings, tabs", `"${token.slice(0, 5)}"\t"${token.slice(5, 20)}"  "${token.slice(20)}"`],
    ["zone-file decimal escape", `"\\${token.charCodeAt(0).toString().padStart(3, "0")}${token.slice(1)}"`],
  ])("accepts the new token with %s", (_, value) => {
    expect(outcome([value], token)).toBe("live");
    expect(outcome(["v=spf1 -all", value], token)).toBe("live");
  });

  it.each([
    ["nothing", ""],
    ["quotes only", '""'],
    ["a prefix", `x${token}`],
    ["a suffix", `${token}x`],
    ["a trailing dot", `${token}.`],
    ["a key", `token=${token}`],
    ["the token twice", `${token}${token}`],
    ["the token and another word", `${token} ${token}`],
    ["a missing character", token.slice(1)],
    ["a blank inside", `${half(token)[0]} ${half(token)[1]}`],
    ["a blank inside quotes", `"${half(token)[0]} ${half(token)[1]}"`],
    ["text after the quotes", `"${token}" x`],
    ["text between quoted strings", `"${half(token)[0]}" x "${half(token)[1]}"`],
    ["an opening quote only", `"${token}`],
    ["a closing quote only", `${token}"`],
    ["mismatched quotes", `"${token}'`],
    ["a zero-width space", `${token}\u200b`],
    ["the Kelvin sign for k", token.replace("k", "\u212a")],
    ["full-width letters", token.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))],
    ["a Cyrillic look-alike", token.replace("o", "\u043e")],
  ])("refuses the new token with %s", (_, value) => {
    expect(value).not.toBe(token);
    expect(outcome([value], token)).toBe("misconfigured");
  });

  it("compares a token made before exactly (case kept) but tolerates quotes, blanks and split strings", () => {
    for (const value of [legacy, `"${legacy}"`, ` ${legacy} `, `"${legacy.slice(0, 20)}" "${legacy.slice(20)}"`, `\u201c${legacy}\u201d`]) {
      expect(outcome([value], legacy), value).toBe("live");
    }
    for (const value of [legacy.toLowerCase(), legacy.toUpperCase(), `"${legacy.toLowerCase()}"`, `${legacy}=`, legacy.slice(0, -1)]) {
      expect(outcome([value], legacy), value).toBe("misconfigured");
    }
  });

  it("matchesVerificationToken ignores case only for tokens without upper-case letters", () => {
    expect(matchesVerificationToken("ABC234", "abc234")).toBe(true);
    expect(matchesVerificationToken("abc234", "ABC234")).toBe(false);
    expect(matchesVerificationToken("aBc234", "aBc234")).toBe(true);
    expect(matchesVerificationToken("", "")).toBe(false);
    expect(matchesVerificationToken("abc2345", "abc234")).toBe(false);
  });

  it("makes new tokens of 160 random bits in lower-case base32 (RFC 4648 §6), which survive lower-casing", () => {
    // RFC 4648 §10 test vectors, lower case, without padding
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "my"],
      ["fo", "mzxq"],
      ["foo", "mzxw6"],
      ["foob", "mzxw6yq"],
      ["fooba", "mzxw6ytb"],
      ["foobar", "mzxw6ytboi"],
    ];
    for (const [input, output] of vectors) expect(base32Lower(Buffer.from(input))).toBe(output);
    expect(base32Lower(new Uint8Array(20).fill(255))).toBe("7".repeat(32));
    const tokens = new Set(Array.from({ length: 2000 }, () => newVerificationToken()));
    expect(tokens.size).toBe(2000);
    for (const t of tokens) {
      expect(t).toMatch(/^[a-z2-7]{32}$/);
      expect(t.toLowerCase()).toBe(t);
    }
    // every character position takes every symbol sooner or later (no stuck bits)
    const seen = new Set([...tokens].flatMap((t) => [...t]));
    expect(seen.size).toBe(32);
    const t = newVerificationToken();
    expect(outcome([t.toUpperCase()], t)).toBe("live");
  });

  it("does not take long on hostile values", () => {
    const hostile = ['"' + "\\".repeat(30_000), '"a" '.repeat(10_000) + "x", " ".repeat(60_000) + "x", "'".repeat(60_000)];
    const started = performance.now();
    for (const value of hostile) expect(outcome([value], token)).toBe("misconfigured");
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("ownership TXT through a real resolver", () => {
  let dnsServer: TestDnsServer;
  beforeAll(async () => {
    dnsServer = await startDnsServer();
  });
  afterAll(() => dnsServer.close());

  it("reads quoted, blank-padded, upper-cased and chunk-split values of the challenge TXT as the token", async () => {
    const resolver = createResolver([dnsServer.address]);
    const token = newVerificationToken();
    const expected = { ...sub, hostname: "own.x.test", cnameTarget: "own.x.test.edge.localhost", ownershipToken: token };
    dnsServer.set("own.x.test", [{ type: "CNAME", value: "own.x.test.edge.localhost" }]);
    const check = async (values: string[]) => {
      dnsServer.set(
        "_edge-challenge.own.x.test",
        values.map((value) => ({ type: "TXT" as const, value })),
      );
      return classify(await observe("own.x.test", resolver, { stopAt: [expected.cnameTarget] }), expected).outcome;
    };
    expect(await check([`"${token.toUpperCase()}"`])).toBe("live");
    // longer than one <character-string> (255 octets, RFC 1035 §3.3.14): the server sends two, observe joins them
    expect(await check([" ".repeat(250) + token + " "])).toBe("live");
    expect(await check([`"${token}" "${crypto.randomBytes(4).toString("hex")}"`])).toBe("misconfigured");
    expect(await check([`${token}-old`, "unrelated"])).toBe("misconfigured");
  });
});
