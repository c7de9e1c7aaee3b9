import dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EdgeMetrics, latencyBucket, MetricsCounter, parseLogLine, RECENT_PER_PUSH, withoutQueryValues, type MetricsPush } from "./metrics";

// The agent's metrics (docs/traffic.md "On the node") with real UDP datagrams and a real HTTP console on loopback:
// lines are counted per environment and minute, query values never kept, health lines ignored; while the console is
// unreachable pushes wait in the spool, the oldest dropped beyond its bound and counted in the next push; a push the
// console answered 5xx is sent again with the same id, one it refused (4xx) is dropped.

const line = (o: Record<string, unknown>) =>
  JSON.stringify({
    e: "e7",
    t: 1_796_400_000_123,
    m: "GET",
    u: "/a?x=1&y=2",
    s: 200,
    bi: 80,
    bo: 500,
    ta: 12,
    c: "HIT",
    x: "-",
    id: "rid-1",
    ...o,
  });

describe("agent metrics", () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it("parses HAProxy's lines: query keys only, health and unrouted lines ignored, buckets fixed", () => {
    expect(withoutQueryValues("/search?q=secret&page=2&flag")).toBe("/search?q&page&flag");
    expect(withoutQueryValues("/plain")).toBe("/plain");
    expect(parseLogLine(line({}))).toMatchObject({ environmentId: 7, path: "/a?x&y", cache: "HIT", durationMs: 12, requestId: "rid-1" });
    expect(parseLogLine(line({ e: "-" }))).toBeNull();
    expect(parseLogLine(line({ u: "/.well-known/edge-node/health" }))).toBeNull();
    expect(parseLogLine(line({ ta: -1, c: "-" }))).toMatchObject({ durationMs: 0, cache: null });
    expect(() => parseLogLine(line({ e: "x1" }))).toThrow();
    expect([0, 5, 6, 10_000, 10_001].map(latencyBucket)).toEqual([0, 0, 1, 10, 11]);
  });

  it("keeps a push's recent requests bounded however many environments the node serves", () => {
    const counter = new MetricsCounter();
    for (let env = 1; env <= 1000; env++)
      for (let i = 0; i < 100; i++) counter.add(parseLogLine(line({ e: `e${env}`, id: `r${env}-${i}` }))!);
    const { minutes, recent } = counter.take();
    expect(minutes).toHaveLength(1000);
    expect(minutes.reduce((n, m) => n + m.requests, 0)).toBe(100_000);
    expect(recent.length).toBeLessThanOrEqual(RECENT_PER_PUSH);
    expect(new Set(recent.map((r) => r.environmentId)).size).toBe(1000);
    expect(recent.filter((r) => r.environmentId === 1).map((r) => r.requestId)).toContain("r1-99"); // the newest kept
    expect(counter.take()).toEqual({ minutes: [], recent: [] });
  });

  it("counts datagrams, spools while the console is away (bounded, drops counted), and delivers oldest first", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-metrics-"));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const received: MetricsPush[] = [];
    let answer = 503;
    const consoleServer = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        if (answer === 200) received.push(JSON.parse(body) as MetricsPush);
        res.writeHead(answer, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => consoleServer.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => consoleServer.close(r)));
    const consolePort = (consoleServer.address() as AddressInfo).port;
    // A free UDP port for the listener.
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((r) => probe.bind(0, "127.0.0.1", r));
    const udpPort = probe.address().port;
    probe.close();
    const logs: string[] = [];
    const metrics = new EdgeMetrics({
      consoleUrl: new URL(`http://127.0.0.1:${consolePort}`),
      nodeToken: "en_" + "t".repeat(43),
      host: "127.0.0.1",
      port: udpPort,
      flushSeconds: 3600,
      spoolDir: dir,
      droppedLogs: async () => null,
      log: (l) => logs.push(l),
      spoolMaxFiles: 3,
    });
    await metrics.start();
    cleanup.push(() => metrics.stop());
    const sender = dgram.createSocket("udp4");
    cleanup.push(() => sender.close());
    const send = async (n: number, o: Record<string, unknown> = {}) => {
      const before = metrics.received;
      for (let i = 0; i < n; i++) sender.send(line(o), udpPort, "127.0.0.1");
      for (let i = 0; i < 100 && metrics.received < before + n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    // Five pushes while the console answers 503: the spool keeps the newest 3, two are dropped and counted.
    for (let i = 0; i < 5; i++) {
      await send(2, { s: 500 + i });
      await metrics.flush();
    }
    expect(metrics.spooled()).toBe(3);
    expect(received).toHaveLength(0);
    answer = 200;
    await send(1);
    await metrics.flush();
    expect(metrics.spooled()).toBe(0);
    // Oldest first: the two still spooled (statuses 503, 504), then the new one. Each drop is counted in the push made
    // after it; adding the new push dropped one more (the spool holds 3), counted in the next push.
    expect(received.map((p) => p.minutes[0]?.status5xx)).toEqual([2, 2, 0]);
    await metrics.flush();
    expect(received).toHaveLength(4);
    expect(received[3].minutes).toEqual([]);
    // Six pushes with counts were made: three delivered, three dropped, and every drop reported.
    expect(received.reduce((n, p) => n + p.droppedPushes, 0)).toBe(3);
    expect(new Set(received.map((p) => p.pushId)).size).toBe(4);
    expect(received[0].recent[0]).toMatchObject({ path: "/a?x&y", requestId: "rid-1", environmentId: 7 });
    // A stop spools what it counted without sending it (a slow console never holds up a stop).
    await send(1);
    await metrics.stop();
    expect(metrics.spooled()).toBe(1);
    expect(received).toHaveLength(4);
    expect(logs.join("\n")).toContain("spooled");
  });
});
