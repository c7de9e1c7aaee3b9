import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_HEALTH_PATH } from "../haproxy/render";
import { haveTool } from "../modules";
import { TOKEN, edgeAgent, get, listen, origin, randomPorts, testEnvironment, until as untilWith, type EdgeAgent } from "./test-harness";

// Drain on a running node (docs/edge.md "Drain and the node's health"): the console's `node.drain` turns the node's
// health answer (GET /.well-known/edge-node/health on the public ports, answered by HAProxy) to 503 `draining`,
// while every environment keeps being served, on open keep-alive connections too. Real haproxy, a tiny console
// here (its `node.drain` is what this test changes), a real origin on 127.0.0.1.

const missing = ["haproxy", "openssl"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";

/** A console answering the two endpoints of docs/edge.md "Desired state" with a `node.drain` the test sets. */
function drainConsole(environments: object[]) {
  const c = {
    drain: false,
    down: false,
    version: 1,
    reports: 0,
    server: http.createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
      if (c.down) return void res.writeHead(503).end();
      if (req.url?.startsWith("/api/edge/v1/report")) {
        c.reports++;
        req.resume();
        req.on("end", () => res.writeHead(204).end());
        return;
      }
      const since = Number(new URL(req.url ?? "/", "http://x").searchParams.get("since"));
      const answer = () =>
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            version: c.version,
            full: true,
            node: { name: "edge-drain", drain: c.drain },
            settings: { allowCodeModules: false, allowPrivateOrigins: true, edgeAddresses: [] },
            environments,
            removed: [],
          }),
        );
      // A short long-poll: this console moves no version on a drain (the real one does), the node sees it when the wait ends.
      if (c.version > since) answer();
      else setTimeout(answer, 300);
    }),
  };
  return c;
}

/** GET over HTTPS to the node's public HTTPS port (its self-signed default certificate). */
function getHttps(port: number, host: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.2",
        port,
        path: urlPath,
        servername: host,
        headers: { host },
        rejectUnauthorized: false,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe.skipIf(skip)(`edge node drain and health${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const site = origin("site");
  let con: ReturnType<typeof drainConsole>;
  let node: EdgeAgent;
  let stateDir = "";
  const { httpPort, portBase } = randomPorts("drain");
  const until = <T>(what: string, fn: () => Promise<T | null | false | undefined>, timeoutMs = 20_000) =>
    untilWith(what, fn, timeoutMs, () => node.log());
  const health = (host = "127.0.0.2") => get(httpPort, host, {}, NODE_HEALTH_PATH);
  // One keep-alive connection, opened before the drain: it must keep being served after it.
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const viaKeepAlive = () =>
    new Promise<{ status: number; body: string; localPort: number }>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.2", port: httpPort, path: "/page", headers: { host: "drain.test" }, agent: keepAlive },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, localPort: req.socket?.localPort ?? 0 }));
        },
      );
      req.on("error", reject);
      req.end();
    });

  const head = (urlPath: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.2", port: httpPort, path: urlPath, method: "HEAD", headers: { host: "drain.test" }, agent: false },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end();
    });

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-drain-"));
    const sitePort = await listen(site.server);
    con = drainConsole([testEnvironment(1, "drain.test", sitePort)]);
    await listen(con.server);
    node = edgeAgent({ stateDir, consoleUrl: `http://127.0.0.1:${(con.server.address() as { port: number }).port}`, httpPort, portBase });
    node.start();
    await until("drain.test served", async () => (await get(httpPort, "drain.test").catch(() => null))?.status === 200, 30_000);
  }, 60_000);

  afterAll(async () => {
    keepAlive.destroy();
    await node.stop("SIGTERM");
    const left = node.leftovers();
    await Promise.all([site.server, con.server].map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(stateDir, { recursive: true, force: true });
    expect(left, "processes left after the agent stopped").toEqual([]);
  }, 60_000);

  it("answers the node health on both public ports for any Host, never routed to an environment", async () => {
    const hitsBefore = site.hits.length;
    for (const host of ["127.0.0.2", "drain.test", "unknown.test"]) {
      const r = await health(host);
      expect(r.status, host).toBe(200);
      expect(r.body).toBe("ok");
      expect(r.headers["x-edge-status"]).toBe("ok");
      expect(r.headers["cache-control"]).toBe("no-store");
    }
    expect(await getHttps(httpPort + 1, "drain.test", NODE_HEALTH_PATH)).toEqual({ status: 200, body: "ok" });
    // HEAD works too (health checkers use it); the origin saw none of these requests.
    expect(await head(NODE_HEALTH_PATH)).toBe(200);
    expect(site.hits.slice(hitsBefore).map((h) => h.url)).toEqual([]);
    // Other paths of the customer's hostname are the customer's.
    const page = await get(httpPort, "drain.test", {}, "/.well-known/edge-node/other");
    expect(page.body).toBe("hello from site");
  });

  it("drained: health 503 draining, while requests and an open keep-alive connection keep being served; undrained: 200", async () => {
    const before = await viaKeepAlive();
    expect(before).toMatchObject({ status: 200, body: "hello from site" });
    con.drain = true;
    const t0 = Date.now();
    const drained = await until("health 503", async () => ((await health()).status === 503 ? await health() : null));
    console.log(`drain seen by the node and answered ${Date.now() - t0} ms after the console's flag changed`);
    expect(drained.body).toBe("draining");
    expect(drained.headers["x-edge-status"]).toBe("draining");
    expect(await getHttps(httpPort + 1, "unknown.test", NODE_HEALTH_PATH)).toEqual({ status: 503, body: "draining" });
    // Never drop live traffic: the same keep-alive connection and new connections are served.
    const after = await viaKeepAlive();
    expect(after).toMatchObject({ status: 200, body: "hello from site" });
    expect(after.localPort, "the keep-alive connection opened before the drain was reused").toBe(before.localPort);
    expect((await get(httpPort, "drain.test")).body).toBe("hello from site");
    expect(node.log()).toMatch(/drained: .* answers 503 draining/);
    expect(node.log(), "changed through the Runtime API, without a reload").not.toMatch(/runtime drain change/);

    // A restarted agent serves the drain it last applied before the console answers (here: it is down).
    con.down = true;
    await node.stop("SIGTERM");
    node.start();
    await until("the restarted node serving", async () => (await get(httpPort, "drain.test").catch(() => null))?.status === 200, 30_000);
    expect((await health()).status).toBe(503);
    con.down = false;

    con.drain = false;
    await until("health 200 again", async () => (await health()).status === 200);
    expect((await get(httpPort, "drain.test")).status).toBe(200);
    expect(await head(NODE_HEALTH_PATH)).toBe(200);
  }, 60_000);
});
