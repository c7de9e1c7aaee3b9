import dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { zeroTotals, type ChainTotals, type WorkerCounters } from "../haproxy/counters";
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
  it("counts requests from HAProxy's counters: a lost line loses nothing, a worker's tail after its last read comes from its lines, an agent restart goes on", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-metrics-"));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const received: MetricsPush[] = [];
    const consoleServer = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        received.push(JSON.parse(body) as MetricsPush);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => consoleServer.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => consoleServer.close(r)));
    const consolePort = (consoleServer.address() as AddressInfo).port;
    // What `show proc` + `show stat` would give (the real HAProxy is read in lib/traffic/traffic-e2e.test.ts).
    let workers: WorkerCounters[] = [];
    const totals = (responses: number, s5 = 0): ChainTotals => ({
      ...zeroTotals(),
      responses,
      status2xx: responses - s5,
      status5xx: s5,
      bytesIn: responses * 80,
      bytesOut: responses * 500,
    });
    const worker = (pid: number, startedAt: number, envs: [number, ChainTotals][]): WorkerCounters => ({
      pid,
      startedAt,
      current: true,
      readAt: Date.now(),
      publicSessions: null,
      chains: new Map(envs),
    });
    const make = () =>
      new EdgeMetrics({
        consoleUrl: new URL(`http://127.0.0.1:${consolePort}`),
        nodeToken: "en_" + "t".repeat(43),
        host: "127.0.0.1",
        port: 0,
        flushSeconds: 3600,
        spoolDir: path.join(dir, "spool"),
        droppedLogs: async () => null,
        log: () => undefined,
        counters: async () => workers,
        countersFile: path.join(dir, "counters.json"),
      });
    const sum = (key: "requests" | "status5xx" | "bytesOut" | "hits") => received.flatMap((p) => p.minutes).reduce((n, m) => n + m[key], 0);
    const logged = () => received.flatMap((p) => p.minutes).reduce((n, m) => n + m.latency.reduce((a, b) => a + b, 0), 0);
    let metrics = make();
    await metrics.start();
    cleanup.push(() => metrics.stop());
    const t0 = Date.now();

    // Worker 100 answered 3 requests; one of the 3 lines was lost. Requests, statuses and bytes are the counters'.
    workers = [worker(100, t0, [[7, totals(3)]])];
    metrics.line(line({ p: 100, t: t0, d: t0 }));
    metrics.line(line({ p: 100, t: t0, d: t0 }));
    await new Promise((r) => setTimeout(r, 5));
    await metrics.flush();
    expect([sum("requests"), sum("bytesOut"), logged(), sum("hits")]).toEqual([3, 1500, 2, 2]);

    // A reload: 100 answers 2 more after its last read (both logged, 500s) and exits; the new worker 200 answers 1.
    // A line of a request that ended before the read arrives late: its request is in the counters already.
    metrics.line(line({ p: 100, t: t0 - 5, d: t0 - 1 }));
    metrics.line(line({ p: 100, t: Date.now(), d: Date.now() + 1, s: 500 }));
    metrics.line(line({ p: 100, t: Date.now(), d: Date.now() + 1, s: 500 }));
    workers = [worker(200, Date.now(), [[7, totals(1)]])];
    await metrics.flush();
    expect(sum("requests")).toBe(4); // 100's tail waits for its late lines (TAIL_GRACE_MS)
    await new Promise((r) => setTimeout(r, 2100));
    await metrics.flush();
    // The two lines that ended after 100's last read are its tail; the earlier lost line changes nothing.
    expect(sum("requests")).toBe(6);
    expect(sum("status5xx")).toBe(2);
    // A line of 100 arriving even later is not counted again.
    metrics.line(line({ p: 100, t: Date.now(), d: Date.now() }));
    await new Promise((r) => setTimeout(r, 2100));
    await metrics.flush();
    expect(sum("requests")).toBe(6);

    // The agent restarts beside the running worker 200 (started before it): it goes on from the saved read.
    await metrics.stop();
    workers = [worker(200, workers[0].startedAt, [[7, totals(6)]])];
    metrics = make();
    await new Promise((r) => setTimeout(r, 1100)); // the new agent starts after the worker
    await metrics.start();
    await metrics.flush();
    expect(sum("requests")).toBe(11); // 6 + (6 - 1) answered by 200 since the saved read
    // Without a saved read (a HAProxy adopted by a new state folder), a running worker counts from the first read.
    await metrics.stop();
    fs.rmSync(path.join(dir, "counters.json"));
    workers = [worker(200, workers[0].startedAt, [[7, totals(9)]])];
    metrics = make();
    await metrics.start();
    await metrics.flush();
    expect(sum("requests")).toBe(11);
    workers = [worker(200, workers[0].startedAt, [[7, totals(11)]])];
    await metrics.flush();
    expect(sum("requests")).toBe(13);

    // The agent killed after a read and before the push it belongs to: the reads were saved with the last push, so
    // the next agent counts that read's increase (saved at the read, it would be lost).
    workers = [worker(200, workers[0].startedAt, [[7, totals(15)]])];
    await metrics.readCounters();
    const killed = metrics;
    workers = [worker(200, workers[0].startedAt, [[7, totals(16)]])];
    metrics = make();
    await metrics.start();
    await metrics.flush();
    expect(sum("requests")).toBe(18); // 13 + (16 - 11): from the read pushed last
    killed.counter.take(); // what the killed agent had not pushed is gone with it
    await killed.stop();
  });
});
