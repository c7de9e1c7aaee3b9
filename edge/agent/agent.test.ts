import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { haveTool } from "../modules";
import {
  COMMIT,
  MODSEC_CONF,
  STARTER_VCL,
  edgeAgent,
  fakeConsole,
  get,
  listen,
  origin,
  randomPorts,
  rss,
  testEnvironment,
  until as untilWith,
  type EdgeAgent,
} from "./test-harness";

// The edge agent end to end on loopback (docs/edge.md, docs/product.md §8): a tiny console playing the two
// endpoints with a state this test builds, real origins on 127.0.0.1, the agent as a child process bound to
// 127.0.0.2 with real haproxy and varnishd. The shared pieces are in ./test-harness.ts.

const missing = ["haproxy", "varnishd", "varnishadm", "openssl"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";

let agentOutput = () => "";
const until = <T>(what: string, fn: () => Promise<T | null | false | undefined> | T | null | false | undefined, timeoutMs = 20_000) =>
  untilWith(what, fn, timeoutMs, agentOutput);

describe.skipIf(skip)(`edge agent with real haproxy and varnishd${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const main = origin("main");
  const alt = origin("alt");
  const con = fakeConsole();
  let dns: TestDnsServer;
  let node: EdgeAgent;
  let stateDir = "";
  const { httpPort, portBase } = randomPorts("agent");
  let mainPort = 0;
  let altPort = 0;
  let deadPort = 0;

  const env = (id: number, hostname: string, extra: object = {}) => testEnvironment(id, hostname, mainPort, extra);
  const settings = { allowCodeModules: false, allowPrivateOrigins: true, edgeAddresses: [] };
  const routerVcl = STARTER_VCL.replace("sub vcl_recv {", 'sub vcl_recv {\n    set req.http.X-Edge-Origin = "alt";');
  const envs = () => [
    env(1, "a.test"),
    env(2, "blocked.test", { ipBlacklist: ["127.0.0.0/8"] }),
    env(3, "cached.test", { chain: ["varnish"], files: { "varnish/default.vcl": STARTER_VCL } }),
    env(4, "self.test", { origin: { address: "self.test", port: httpPort } }),
    env(5, "down.test", { origin: { address: "127.0.0.1", port: deadPort } }),
    env(6, "alt.test", {
      chain: ["varnish"],
      files: { "varnish/default.vcl": routerVcl },
      alternateOrigins: { alt: { address: "127.0.0.1", port: altPort } },
    }),
    env(7, "waf.test", {
      chain: ["modsecurity", "varnish"],
      files: { "modsecurity/modsecurity.conf": MODSEC_CONF, "varnish/default.vcl": STARTER_VCL },
    }),
  ];

  const startAgent = () => node.start();
  const stopAgent = (signal: NodeJS.Signals) => node.stop(signal);
  const pidOf = (name: string) => node.pidOf(name);
  const lastReportFor = (id: number) => con.lastReportFor(id);

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-agent-"));
    mainPort = await listen(main.server);
    altPort = await listen(alt.server);
    const dead = http.createServer();
    deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    await listen(con.server);
    dns = await startDnsServer();
    dns.set("self.test", [{ type: "A", value: "127.0.0.2" }]);
    node = edgeAgent({ stateDir, consoleUrl: con.url(), httpPort, portBase, dnsServers: dns.address });
    agentOutput = () => node.log();
    con.set(1, envs(), settings);
    startAgent();
  }, 60_000);

  afterAll(async () => {
    await stopAgent("SIGTERM");
    const stoppedCleanly = /stopped with its proxies/.test(node.log());
    const left = node.leftovers();
    await Promise.all([main.server, alt.server, con.server].map((s) => new Promise((r) => s.close(r))));
    await dns.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
    expect(stoppedCleanly, node.log().slice(-2000)).toBe(true);
    expect(left, "processes left after the agent stopped").toEqual([]);
  }, 60_000);

  it("applies the first state and reports every environment (time from state to served)", async () => {
    const t0 = Date.now();
    await until("reports for 7 environments", () => [1, 2, 3, 4, 5, 6, 7].every((id) => lastReportFor(id)), 60_000);
    const served = Date.now() - t0;
    for (const id of [1, 2, 3, 4, 5, 6, 7])
      expect(lastReportFor(id), `e${id}: ${JSON.stringify(lastReportFor(id))}`).toMatchObject({ status: "applied", servingCommit: COMMIT });
    const r = await get(httpPort, "a.test");
    expect(r.status).toBe(200);
    console.log(`first state (7 environments, 3 with varnish, 1 with modsecurity nginx) served ${served} ms after the agent started`);
    // A new hostname on a running node: time from the new state to served.
    const t1 = Date.now();
    con.set(
      2,
      [
        ...envs()
          .slice(0, 1)
          .map((e) => ({ ...e, version: 2, hostnames: ["a.test", "new.test"] })),
        ...envs().slice(1),
      ],
      settings,
    );
    await until("new.test served", async () => (await get(httpPort, "new.test")).status === 200);
    console.log(`new hostname served ${Date.now() - t1} ms after the state changed`);
  }, 90_000);

  it("serves the origin through the empty chain with request id, forwarding headers and the secret", async () => {
    main.hits.length = 0;
    const r = await get(httpPort, "A.TEST:8080", { "x-request-id": "client-id_1.2:3", "x-edge-origin": "alt", "x-edge-hop": "forged" });
    expect(r.status).toBe(200);
    expect(r.body).toBe("hello from main");
    expect(r.headers["x-request-id"]).toBe("client-id_1.2:3");
    const hit = main.hits.at(-1)!;
    expect(hit.headers["x-edge-secret"]).toBe("secret-1");
    expect(hit.headers["x-edge-origin"]).toBeUndefined();
    expect(hit.headers["x-edge-hop"]).toBeUndefined();
    expect(hit.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(hit.headers["x-forwarded-proto"]).toBe("http");
    expect(hit.headers["x-request-id"]).toBe("client-id_1.2:3");
    expect(alt.hits).toHaveLength(0);
    const generated = await get(httpPort, "a.test", { "x-request-id": "bad id with spaces" });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    // Host is matched case-insensitively, without its port and without one trailing dot (RFC 9110 §4.2.3, RFC 1034 §3.1).
    for (const host of ["A.TEST", "a.test.", "a.test.:8080"]) expect((await get(httpPort, host)).status, host).toBe(200);
  });

  it("answers unknown hostnames 404 not-configured, blacklisted clients 403", async () => {
    const unknown = await get(httpPort, "nobody.test");
    expect(unknown.status).toBe(404);
    expect(unknown.headers["x-edge-status"]).toBe("not-configured");
    expect(unknown.body).not.toMatch(/test/);
    const blocked = await get(httpPort, "blocked.test");
    expect(blocked.status).toBe(403);
  });

  it("caches through varnish (MISS then HIT) and picks the alternate origin only through a module", async () => {
    const first = await get(httpPort, "cached.test", {}, "/page");
    const second = await get(httpPort, "cached.test", {}, "/page");
    expect(first.body).toBe("hello from main");
    expect(first.headers["x-cache"]).toBe("MISS");
    expect(second.headers["x-cache"]).toBe("HIT");
    // varnishd listens on a UNIX socket (client.ip 0.0.0.0): the origin still sees the client's address, alone.
    expect(main.hits.at(-1)!.headers["x-forwarded-for"]).toBe("127.0.0.1");
    const waf = await get(httpPort, "waf.test", { "x-forwarded-for": "203.0.113.9" }, "/w");
    expect(waf.body).toBe("hello from main");
    expect(waf.headers["x-cache"]).toBe("MISS");
    // nginx and varnishd appended their peers (127.0.0.1, 0.0.0.0): the last hop removes the trailing loopback hops.
    // This test's client is on loopback too, so its own address goes with them; a real client's stays last.
    expect(main.hits.at(-1)!.headers["x-forwarded-for"]).toBe("203.0.113.9");
    const attack = await get(httpPort, "waf.test", {}, "/w?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    expect(attack.status).toBe(403);
    expect(attack.headers["x-edge-status"]).toBe("waf-blocked");
    const viaModule = await get(httpPort, "alt.test", {}, "/x");
    expect(viaModule.body).toBe("hello from alt");
  });

  it("refuses an origin that resolves to the node itself, and answers 502 fast with the request id when the origin is down", async () => {
    const self = await get(httpPort, "self.test");
    expect(self.status).toBe(502);
    expect(self.headers["x-edge-status"]).toBe("origin-refused");
    const down = await get(httpPort, "down.test", { "x-request-id": "down-1" });
    expect(down.status).toBe(502);
    expect(down.headers["x-request-id"]).toBe("down-1");
    expect(down.ms).toBeLessThan(3000);
    console.log(`origin down answered 502 in ${down.ms} ms`);
  });

  it("keeps health requests away from the origin and haproxy owns the public ports", () => {
    expect([...main.hits, ...alt.hits].filter((h) => h.headers["x-edge-health"] || h.url.includes("health"))).toHaveLength(0);
    const ss = execFileSync("ss", ["-ltnp"], { encoding: "utf8" });
    const line = ss.split("\n").find((l) => l.includes(`127.0.0.2:${httpPort} `));
    expect(line).toMatch(/haproxy/);
    expect(ss.split("\n").find((l) => l.includes(`127.0.0.2:${httpPort + 1} `))).toMatch(/haproxy/);
  });

  it("refuses a broken VCL with varnishd's message while the old version keeps serving", async () => {
    const broken = envs().map((e) =>
      e.key === "e3"
        ? {
            ...e,
            version: 3,
            files: { "varnish/default.vcl": STARTER_VCL.replace("sub vcl_recv {", "sub vcl_recv {\n    set req.http.X = ;") },
          }
        : e,
    );
    con.set(3, broken, settings);
    const report = await until("failed report for e3", () => {
      const r = lastReportFor(3);
      return r?.version === 3 ? r : null;
    });
    expect(report.status).toBe("failed");
    expect(report.tool).toMatch(/varnishd|policy/);
    expect(report.message).toMatch(/line|Line/);
    const still = await get(httpPort, "cached.test", {}, "/page");
    expect(still.status).toBe(200);
    expect(still.headers["x-cache"]).toBe("HIT");
  }, 60_000);

  it("drops a removed environment: its hostname becomes not-configured and the report says removed", async () => {
    con.set(
      4,
      envs().filter((e) => e.key !== "e5"),
      settings,
    );
    const report = await until("removed report for e5", () => {
      const r = lastReportFor(5);
      return r?.status === "removed" ? r : null;
    });
    expect(report.status).toBe("removed");
    const gone = await get(httpPort, "down.test");
    expect(gone.status).toBe(404);
    expect(gone.headers["x-edge-status"]).toBe("not-configured");
    expect((await get(httpPort, "a.test")).status).toBe(200);
  }, 60_000);

  it("restarts a killed varnishd and haproxy and applies again", async () => {
    const peak = Object.fromEntries(
      fs
        .readdirSync(path.join(stateDir, "run"))
        .filter((f) => f.endsWith(".pid"))
        .map((f) => [f.replace(/\.pid$/, ""), rss(pidOf(f.replace(/\.pid$/, "")))]),
    );
    const oldVarnish = pidOf("varnishd");
    process.kill(oldVarnish, "SIGKILL");
    await until(
      "varnish chain served again",
      async () => {
        const r = await get(httpPort, "cached.test", {}, "/again");
        return r.status === 200 && r.headers["x-cache"] === "MISS" && pidOf("varnishd") !== oldVarnish;
      },
      40_000,
    );
    const oldHaproxy = pidOf("haproxy");
    process.kill(oldHaproxy, "SIGKILL");
    await until(
      "haproxy serves again",
      async () => pidOf("haproxy") !== oldHaproxy && (await get(httpPort, "a.test")).status === 200,
      40_000,
    );
    console.log(
      `peak RSS (kB, process+children): ${JSON.stringify(peak)}; agent (node with the tsx loader) ${node.child()?.pid ? rss(node.child()!.pid!) : "?"}`,
    );
  }, 90_000);

  it("keeps serving while the agent is down and adopts the proxies on restart", async () => {
    const haproxyPid = pidOf("haproxy");
    await stopAgent("SIGKILL");
    expect((await get(httpPort, "a.test")).status).toBe(200);
    await get(httpPort, "cached.test", {}, "/page");
    expect((await get(httpPort, "cached.test", {}, "/page")).headers["x-cache"]).toBe("HIT");
    const reportsBefore = con.reports.length;
    startAgent();
    await until("the restarted agent reports", () => con.reports.length > reportsBefore, 40_000);
    // Its first report names what it serves (a console that knows nothing of this node, e.g. after a new token,
    // learns it at once): the environments of the last good state, applied — a.test and cached.test among them.
    const first = con.reports[reportsBefore];
    const applied = first.environments.filter((e) => e.status === "applied").map((e) => e.environmentId);
    expect(applied).toEqual(expect.arrayContaining([1, 3]));
    expect(pidOf("haproxy")).toBe(haproxyPid);
    expect(node.log()).toMatch(/adopted the running haproxy/);
    expect((await get(httpPort, "a.test")).status).toBe(200);
  }, 90_000);

  it("keeps the last good state when the console is down, refuses a malformed state, and stops polling on 401", async () => {
    con.mode = "down";
    con.set(5, envs(), settings);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await get(httpPort, "a.test")).status).toBe(200);
    con.mode = "malformed";
    con.set(6, envs(), settings);
    await until("a malformed-state error in a report", () => con.reports.some((r) => r.error?.includes("desired state")), 40_000);
    expect((await get(httpPort, "a.test")).status).toBe(200);
    con.mode = "revoked";
    con.set(7, envs(), settings);
    await until("the agent logs the 401", () => /token \(401\)/.test(node.log()), 40_000);
    await new Promise((r) => setTimeout(r, 1000)); // a poll already on its way may still arrive
    const polls = con.polls;
    await new Promise((r) => setTimeout(r, 3000));
    expect(con.polls).toBe(polls);
    expect((await get(httpPort, "a.test")).status).toBe(200);
    con.mode = "ok";
  }, 90_000);
});
