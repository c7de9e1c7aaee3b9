import { describe, expect, it } from "vitest";
import { classify, type Expected } from "./classify";
import type { Observation } from "./observe";

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
