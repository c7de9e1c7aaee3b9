import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { caaClimb, checkAddresses, checkCaa, checkHttpToken } from "./preflight";

// The pre-flight's steps against the loopback test DNS server, and (for the HTTP step only) a loopback HTTP server
// standing in for an edge node; the real node's answer is tested with the agent (docs/https.md "Tests").
let dns: TestDnsServer;
let resolver: Resolver;
const edge = { ipv4: ["127.0.0.1", "192.0.2.10"], ipv6: ["2001:db8::10"] };

beforeAll(async () => {
  dns = await startDnsServer();
  resolver = createResolver([dns.address], { timeoutMs: 300, tries: 1 });
});
afterAll(async () => dns.close());
beforeEach(() => dns.reset());

describe("pre-flight: A/AAAA at the edge", () => {
  it("passes when every A and AAAA record (after the CNAME chain) is an edge address", async () => {
    dns.set("shop.example.com", [{ type: "CNAME", value: "t.edge.test" }]);
    dns.set("t.edge.test", [
      { type: "A", value: "192.0.2.10" },
      { type: "AAAA", value: "2001:db8::10" },
    ]);
    expect(await checkAddresses("shop.example.com", resolver, edge)).toEqual({ ok: true });
  });

  it("names each foreign A and AAAA record and says to remove it", async () => {
    dns.set("shop.example.com", [
      { type: "A", value: "192.0.2.10" },
      { type: "A", value: "198.51.100.7" },
      { type: "AAAA", value: "2001:db8::1" },
    ]);
    expect(await checkAddresses("shop.example.com", resolver, edge)).toEqual({
      ok: false,
      step: "dns",
      problems: [
        "A 198.51.100.7 on shop.example.com does not point at the edge: remove it.",
        "AAAA 2001:db8::1 on shop.example.com does not point at the edge: remove it.",
      ],
    });
  });

  it("refuses a missing name, a name without addresses, and calls a SERVFAIL transient", async () => {
    expect(await checkAddresses("gone.example.com", resolver, edge)).toMatchObject({
      ok: false,
      problems: ["gone.example.com does not exist in DNS: add its CNAME or A record first."],
    });
    dns.set("txt.example.com", [{ type: "TXT", value: "x" }]);
    expect(await checkAddresses("txt.example.com", resolver, edge)).toMatchObject({
      problems: ["txt.example.com has no A or AAAA record: point it at the edge."],
    });
    dns.set("broken.example.com", [], "servfail");
    expect(await checkAddresses("broken.example.com", resolver, edge)).toMatchObject({ ok: false, step: "dns", transient: true });
  });
});

describe("pre-flight: CAA (RFC 8659 §3)", () => {
  it("climbs from the name to the parent below the TLD", () => {
    expect(caaClimb("a.shop.example.com.")).toEqual(["a.shop.example.com", "shop.example.com", "example.com"]);
  });

  it("allows when no CAA exists on the way up, or when the nearest set names the CA", async () => {
    dns.set("shop.example.com", [{ type: "A", value: "192.0.2.10" }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toEqual({ ok: true });
    dns.set("example.com", [{ type: "CAA", value: '0 issue "letsencrypt.org; validationmethods=http-01"' }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toEqual({ ok: true });
  });

  it("refuses a parent's set that allows another CA, naming where it is", async () => {
    dns.set("shop.example.com", [{ type: "A", value: "192.0.2.10" }]);
    dns.set("example.com", [{ type: "CAA", value: '0 issue "digicert.com"' }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toEqual({
      ok: false,
      step: "caa",
      problems: ['CAA on example.com allows only digicert.com: add CAA 0 issue "letsencrypt.org" on example.com.'],
    });
  });

  it("uses only the nearest set: a set on the name itself overrides its parent's", async () => {
    dns.set("shop.example.com", [
      { type: "A", value: "192.0.2.10" },
      { type: "CAA", value: '0 issue "letsencrypt.org"' },
    ]);
    dns.set("example.com", [{ type: "CAA", value: '0 issue "digicert.com"' }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toEqual({ ok: true });
  });

  it("refuses `issue ;` (no CA) and a critical unknown tag; a set of iodef only allows", async () => {
    dns.set("example.com", [{ type: "CAA", value: '0 issue ";"' }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toMatchObject({
      problems: ['CAA on example.com forbids every CA: add CAA 0 issue "letsencrypt.org" on example.com.'],
    });
    dns.set("example.com", [{ type: "CAA", value: '0 iodef "mailto:security@example.com"' }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toEqual({ ok: true });
    dns.set("example.com", [{ type: "CAA", value: '128 tbs "x"' }]);
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toMatchObject({ ok: false, step: "caa" });
  });

  it("treats a failing CAA lookup as transient", async () => {
    dns.set("example.com", [], "servfail");
    expect(await checkCaa("shop.example.com", resolver, ["letsencrypt.org"])).toMatchObject({ ok: false, step: "caa", transient: true });
  });
});

describe("pre-flight: the HTTP token (a loopback HTTP server stands in for a node, for this unit only)", () => {
  let standIn: http.Server;
  let port: number;
  const seen: { host?: string; url?: string }[] = [];
  beforeAll(async () => {
    standIn = http.createServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url });
      if (req.url === "/.well-known/acme-challenge/tok-1" && req.headers.host === "shop.example.com") res.end("tok-1.auth\n");
      else if (req.url === "/.well-known/acme-challenge/tok-2") res.end("something else");
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
    port = (standIn.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => standIn.close(() => resolve())));

  it("passes when each address and port returns the token, sent with the hostname as Host", async () => {
    const r = await checkHttpToken({
      hostname: "shop.example.com",
      addresses: ["127.0.0.1"],
      ports: [port],
      token: "tok-1",
      expected: "tok-1.auth",
    });
    expect(r).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({ host: "shop.example.com", url: "/.well-known/acme-challenge/tok-1" });
  });

  it("names the address that answered wrong, answered 404, or could not be reached", async () => {
    const wrong = await checkHttpToken({
      hostname: "shop.example.com",
      addresses: ["127.0.0.1"],
      ports: [port],
      token: "tok-2",
      expected: "tok-2.auth",
    });
    expect(wrong).toEqual({
      ok: false,
      step: "http",
      problems: [
        `http://shop.example.com/.well-known/acme-challenge/tok-2 through 127.0.0.1:${port} answered 200 with another body than the token.`,
      ],
    });
    const missing = await checkHttpToken({
      hostname: "shop.example.com",
      addresses: ["127.0.0.1"],
      ports: [port],
      token: "tok-3",
      expected: "x",
    });
    expect(missing).toMatchObject({ problems: [expect.stringContaining(`through 127.0.0.1:${port} answered 404 instead of the token.`)] });
    const closed = await checkHttpToken({
      hostname: "shop.example.com",
      addresses: ["127.0.0.2"],
      ports: [1],
      token: "tok-1",
      expected: "tok-1.auth",
    });
    expect(closed).toMatchObject({ problems: [expect.stringMatching(/through 127\.0\.0\.2:1 could not be reached \(ECONNREFUSED\)\.$/)] });
  });

  it("fails when no node reported an HTTP port", async () => {
    expect(await checkHttpToken({ hostname: "a.test", addresses: ["127.0.0.1"], ports: [], token: "t", expected: "t" })).toEqual({
      ok: false,
      step: "http",
      problems: ["No active edge node has reported its HTTP port."],
    });
  });
});
