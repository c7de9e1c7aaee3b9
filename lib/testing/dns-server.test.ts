import { promises as dns } from "node:dns";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dnsControl, startDnsServer, type TestDnsServer } from "./dns-server";

// What node's resolver (c-ares) actually sees from the test server, over UDP on 127.0.0.1.
let server: TestDnsServer;
let resolver: dns.Resolver;

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return (error as { code: string }).code;
  }
}

beforeAll(async () => {
  server = await startDnsServer();
  resolver = new dns.Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([server.address]);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe("test DNS server", () => {
  it("listens on 127.0.0.1 with UDP and TCP on one port and a separate control port", () => {
    expect(server.address).toBe(`127.0.0.1:${server.dnsPort}`);
    expect(server.dnsPort).toBeGreaterThan(0);
    expect(server.controlPort).not.toBe(server.dnsPort);
  });

  it("answers a CNAME query with the CNAME only, and an A query with the chain followed in the zone", async () => {
    server.set("www.x.test", [{ type: "CNAME", value: "alias.y.test" }]);
    server.set("alias.y.test", [{ type: "A", value: "192.0.2.10", ttl: 60 }]);
    expect(await resolver.resolveCname("www.x.test")).toEqual(["alias.y.test"]);
    expect(await resolver.resolve4("www.x.test", { ttl: true })).toEqual([{ address: "192.0.2.10", ttl: 60 }]);
    expect(await resolver.resolveAny("www.x.test")).toEqual([{ type: "CNAME", value: "alias.y.test" }]);
  });

  it("is case-insensitive on names and keeps the CNAME value as written (without the trailing dot on the wire)", async () => {
    server.set("WWW.Case.Test.", [{ type: "CNAME", value: "WWW.CASE.TEST.EDGE.LOCALHOST." }]);
    expect(await resolver.resolveCname("www.case.test")).toEqual(["WWW.CASE.TEST.EDGE.LOCALHOST"]);
  });

  it("gives NXDOMAIN (ENOTFOUND) for unknown names and NODATA (ENODATA) for other types or empty non-terminals", async () => {
    server.set("a.b.exists.test", [{ type: "A", value: "192.0.2.1" }]);
    expect(await code(resolver.resolve4("missing.test"))).toBe("ENOTFOUND");
    expect(await code(resolver.resolveCname("missing.test"))).toBe("ENOTFOUND");
    expect(await code(resolver.resolve6("a.b.exists.test"))).toBe("ENODATA");
    expect(await code(resolver.resolveCname("a.b.exists.test"))).toBe("ENODATA");
    expect(await code(resolver.resolve4("b.exists.test"))).toBe("ENODATA");
  });

  it("answers a chain ending nowhere with NXDOMAIN (ENOTFOUND) and a chain loop with SERVFAIL", async () => {
    server.set("dangling.test", [{ type: "CNAME", value: "nowhere.test" }]);
    server.set("l1.test", [{ type: "CNAME", value: "l2.test" }]);
    server.set("l2.test", [{ type: "CNAME", value: "l1.test" }]);
    expect(await resolver.resolveCname("dangling.test")).toEqual(["nowhere.test"]);
    expect(await code(resolver.resolve4("dangling.test"))).toBe("ENOTFOUND");
    expect(await code(resolver.resolve4("l1.test"))).toBe("ESERVFAIL");
  });

  it("fails names by mode: servfail → ESERVFAIL, refused → EREFUSED, timeout → ETIMEOUT after the resolver's timeout", async () => {
    server.set("sf.test", [{ type: "A", value: "192.0.2.1" }], "servfail");
    server.set("rf.test", [], "refused");
    server.set("to.test", [], "timeout");
    expect(await code(resolver.resolve4("sf.test"))).toBe("ESERVFAIL");
    expect(await code(resolver.resolveTxt("rf.test"))).toBe("EREFUSED");
    expect(await code(resolver.resolveCname("to.test"))).toBe("ETIMEOUT");
  });

  it("returns TXT records, and sets TC on a large UDP answer so the resolver retries over TCP", async () => {
    const big = "v".repeat(3000);
    server.set("_edge-challenge.x.test", [
      { type: "TXT", value: "token-1" },
      { type: "TXT", value: big },
    ]);
    const txt = (await resolver.resolveTxt("_edge-challenge.x.test")).map((chunks) => chunks.join(""));
    expect(txt.sort()).toEqual(["token-1", big].sort());
    // Asked twice: over UDP (truncated answer), then over TCP.
    expect(server.queries().filter((q) => q.name === "_edge-challenge.x.test")).toHaveLength(2);
  });

  it("returns CAA records (RFC 8659) written in zone-file form, and refuses a malformed one", async () => {
    server.set("caa.test", [
      { type: "CAA", value: '0 issue "letsencrypt.org"' },
      { type: "CAA", value: "128 issuewild ;" },
      { type: "A", value: "192.0.2.1" },
    ]);
    const caa = await resolver.resolveCaa("caa.test");
    expect(caa).toEqual(
      expect.arrayContaining([
        { critical: 0, issue: "letsencrypt.org" },
        { critical: 128, issuewild: ";" },
      ]),
    );
    expect(caa).toHaveLength(2);
    expect(await code(resolver.resolveCaa("www.caa.test"))).toBe("ENOTFOUND");
    expect(await code(resolver.resolve4("caa.test"))).toBe("ok");
    expect(() => server.set("x.test", [{ type: "CAA", value: "issue letsencrypt.org" }])).toThrow(/CAA record needs/);
  });

  it("refuses invalid records", () => {
    expect(() => server.set("x.test", [{ type: "A", value: "not-an-ip" }])).toThrow(/IPv4/);
    expect(() =>
      server.set("x.test", [
        { type: "CNAME", value: "a.test" },
        { type: "A", value: "192.0.2.1" },
      ]),
    ).toThrow(/coexist/);
  });

  it("is controlled over HTTP by dnsControl from another process", async () => {
    const control = dnsControl(server.controlUrl);
    await control.set("Http.Test", [{ type: "A", value: "198.51.100.7", ttl: 5 }]);
    expect(await resolver.resolve4("http.test")).toEqual(["198.51.100.7"]);
    expect(await control.list()).toEqual({ "http.test": { records: [{ type: "A", value: "198.51.100.7", ttl: 5 }], mode: null } });
    await control.set("http.test", [], "servfail");
    expect(await code(resolver.resolve4("http.test"))).toBe("ESERVFAIL");
    await control.remove("http.test");
    expect(await code(resolver.resolve4("http.test"))).toBe("ENOTFOUND");
    expect((await control.queries()).filter((q) => q.name === "http.test").map((q) => q.type)).toEqual(["A", "A", "A"]);
    await control.set("other.test", [{ type: "A", value: "198.51.100.8" }]);
    await control.reset();
    expect(await control.list()).toEqual({});
    await expect(control.set("bad.test", [{ type: "AAAA", value: "192.0.2.1" }])).rejects.toThrow(/400/);
  });

  it("reports a taken port instead of crashing", async () => {
    await expect(startDnsServer({ dnsPort: server.dnsPort })).rejects.toThrow(/EADDRINUSE/);
  });
});
