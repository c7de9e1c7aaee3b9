import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import {
  canonicalName,
  createResolver,
  describeResolver,
  followCnameChain,
  lookupOriginAddresses,
  parseDnsServer,
  type Resolver,
} from "./resolver";

let dnsServer: TestDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  resolver = createResolver([dnsServer.address], { timeoutMs: 300, tries: 1 });
  dnsServer.set("www.origin.test", [{ type: "CNAME", value: "lb.hosting.test" }]);
  dnsServer.set("lb.hosting.test", [
    { type: "A", value: "203.0.113.20" },
    { type: "A", value: "203.0.113.21" },
  ]);
  dnsServer.set("origin.test", [
    { type: "A", value: "198.51.100.3" },
    { type: "AAAA", value: "2001:db8::3" },
  ]);
  dnsServer.set("v6only.origin.test", [{ type: "AAAA", value: "2001:db8::4" }]);
  dnsServer.set("dangling.origin.test", [{ type: "CNAME", value: "nowhere.test" }]);
  dnsServer.set("sf.origin.test", [], "servfail");
  dnsServer.set("to.origin.test", [], "timeout");
});
afterAll(async () => {
  await dnsServer.close();
});

describe("lookupOriginAddresses", () => {
  it("returns the IPv4 addresses after following the CNAME chain", async () => {
    expect((await lookupOriginAddresses("www.origin.test", resolver)).sort()).toEqual(["203.0.113.20", "203.0.113.21"]);
    expect(await lookupOriginAddresses("ORIGIN.TEST.", resolver)).toEqual(["198.51.100.3"]);
  });

  it("returns [] for NXDOMAIN, NODATA, a dangling chain, SERVFAIL and timeouts", async () => {
    for (const name of ["missing.origin.test", "v6only.origin.test", "dangling.origin.test", "sf.origin.test", "to.origin.test"]) {
      expect(await lookupOriginAddresses(name, resolver), name).toEqual([]);
    }
  });
});

describe("followCnameChain", () => {
  it("reports the end of the walk", async () => {
    expect(await followCnameChain("www.origin.test", resolver)).toMatchObject({
      chain: ["lb.hosting.test"],
      final: "lb.hosting.test",
      end: "ok",
    });
    expect(await followCnameChain("missing.origin.test", resolver)).toMatchObject({ chain: [], end: "nxdomain" });
    expect(await followCnameChain("dangling.origin.test", resolver)).toMatchObject({ chain: ["nowhere.test"], end: "dangling" });
    expect(await followCnameChain("sf.origin.test", resolver)).toMatchObject({
      end: "error",
      errorCode: "ESERVFAIL",
      errorName: "sf.origin.test",
    });
    expect(await followCnameChain("www.origin.test", resolver, ["LB.hosting.test."])).toMatchObject({ end: "stopped" });
  });
});

describe("createResolver / describeResolver", () => {
  it("uses the given loopback servers and names them", () => {
    expect(resolver.getServers()).toEqual([dnsServer.address]);
    expect(describeResolver(resolver)).toBe(dnsServer.address);
    expect(describeResolver(createResolver(["127.0.0.1:5353", "[::1]:5353"]))).toBe("127.0.0.1:5353,[::1]:5353");
  });

  it("names a resolver on the system's servers (building one sends no query)", () => {
    expect(describeResolver(createResolver([]))).toMatch(/^system \(.+\)$/);
  });

  it("refuses DNS_SERVERS entries that are not IP addresses", () => {
    expect(parseDnsServer(" 127.0.0.1:5353 ")).toBe("127.0.0.1:5353");
    expect(parseDnsServer("::1")).toBe("::1");
    expect(() => parseDnsServer("dns.example.com")).toThrow(/DNS_SERVERS/);
    expect(() => parseDnsServer("127.0.0.1:99999")).toThrow(/DNS_SERVERS/);
    expect(() => createResolver(["localhost:53"])).toThrow(/DNS_SERVERS/);
  });

  it("canonicalises names", () => {
    expect(canonicalName(" WWW.Example.COM. ")).toBe("www.example.com");
  });
});
