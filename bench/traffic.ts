import { execFile, spawn } from "node:child_process";
import http from "node:http";
import { randomUUID } from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readerClient, withWriterClient } from "@/db";
import { EdgeMetrics } from "@/edge/agent/metrics";
import { ingestMetricsPush, type MetricsPush } from "@/lib/traffic/ingest";
import { trafficSeries } from "@/lib/traffic/query";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { edgeAgent, until, type EdgeAgent } from "@/edge/agent/test-harness";
import { haveTool } from "@/edge/modules/tools";
import { edgeConsoleServer } from "@/lib/testing/edge-console";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { makeApplication } from "@/lib/environments/fixtures";
import { listenLoopback, pointProductionAt } from "@/lib/purge/test-edge";
import { setTestEnv } from "@/lib/testing/env";

// Traffic benchmark (docs/traffic.md): the agent's CPU per 10,000 log lines received over real loopback UDP (sent by
// a child process, so the sender's CPU is not counted), the line rate at which the agent's socket starts to lose
// lines, the console's ingest of one minute from 50 nodes × 1,000 environments (temp SQLite), and the chart query for
// 7 days × 100 environments. "Visible within flush + 10 s" is measured by lib/traffic/traffic-e2e.test.ts (it prints
// the time from the last request to the API showing it, with a flush of 1 s).
// Run: `npx tsx --conditions=react-server bench/run.ts traffic`. Measured here (2 cores shared by several sessions,
// ±30 %): 273–397 ms CPU per 10,000 lines (≈ 30 µs a line, the per-datagram receive included); the socket loses none
// at 10,000–20,000 lines/s, from 40,000–80,000 lines/s on (the kernel caps the 8 MiB buffer asked for at
// net.core.rmem_max); ingest of 50 pushes × 1,000 environments 1.0–1.1 s (≈ 21 ms a push); the 7-day chart query for
// 100 environments p50 260–272 ms; through a real node under `wrk -c 64 -d 10s` (≈ 10,100 req/s of cache hits)
// 101,639 answered within wrk's 10 s and 101,702 counted (63 in flight at the end), 0 reported lost, counted 0.8 s
// after wrk ended with a flush of 1 s. A 30 s console outage under `wrk -c 32 -d 45s` (8,400–10,200 req/s): nothing
// counted while the console was down, 30 pushes spooled, then 377,202 counted for 377,186 answered and 458,156 for
// 458,126 (in flight at wrk's end), 0 lost, the last counted 0.1–0.8 s after wrk ended.

export type TrafficBenchRow = { measure: string; value: string; target: string };

const LINE = (i: number) =>
  JSON.stringify({
    e: `e${1 + (i % 20)}`,
    t: Date.now(),
    m: "GET",
    u: `/products/${i % 500}?page=${i % 7}&sort=price`,
    s: i % 50 === 0 ? 503 : 200,
    bi: 420,
    bo: 5120,
    ta: i % 97,
    c: i % 3 === 0 ? "MISS" : "HIT",
    x: "-",
    id: randomUUID(),
  });

/** Sends `count` lines to 127.0.0.1:`port` at `rate` lines/s from a child process; resolves when it is done. */
function sendFromChild(port: number, count: number, rate: number): Promise<void> {
  const script = `
    const d = require("dgram").createSocket("udp4");
    const { randomUUID } = require("crypto");
    const line = ${LINE.toString().replace("randomUUID()", "randomUUID()")};
    let sent = 0; const t0 = Date.now();
    const tick = () => {
      const due = Math.min(${count}, Math.floor(((Date.now() - t0) / 1000) * ${rate}));
      while (sent < due) d.send(line(sent++), ${port}, "127.0.0.1");
      if (sent >= ${count}) setTimeout(() => { d.close(); }, 200); else setImmediate(tick);
    };
    tick();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { stdio: "inherit" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`sender exited ${code}`))));
  });
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  s.close();
  return port;
}

async function agentMeasures(): Promise<TrafficBenchRow[]> {
  const rows: TrafficBenchRow[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-traffic-"));
  try {
    const port = await freeUdpPort();
    const metrics = new EdgeMetrics({
      consoleUrl: new URL("http://127.0.0.1:9"),
      nodeToken: "en_" + "b".repeat(43),
      host: "127.0.0.1",
      port,
      flushSeconds: 3600,
      spoolDir: dir,
      droppedLogs: async () => null,
      log: () => {},
    });
    await metrics.start();
    // CPU per 10,000 lines at a moderate rate (no loss).
    const cpu0 = process.cpuUsage();
    await sendFromChild(port, 10_000, 5000);
    await new Promise((r) => setTimeout(r, 300));
    const cpu = process.cpuUsage(cpu0);
    const got = metrics.received;
    rows.push({
      measure: "agent CPU per 10,000 log lines (UDP receive + parse + count)",
      value: `${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (${got} of 10,000 received)`,
      target: "— (no floor set; includes the per-datagram receive, not parse alone)",
    });
    metrics.counter.take();
    // Loss by rate: 2 s at each rate.
    let lossStarts = "none up to 160,000 lines/s";
    for (const rate of [10_000, 20_000, 40_000, 80_000, 160_000]) {
      const before = metrics.received;
      const n = rate * 2;
      await sendFromChild(port, n, rate);
      await new Promise((r) => setTimeout(r, 500));
      const received = metrics.received - before;
      const lost = n - received;
      rows.push({
        measure: `agent socket at ${rate.toLocaleString("en-US")} lines/s for 2 s`,
        value: `${lost} lost of ${n} (${((lost / n) * 100).toFixed(2)} %)`,
        target: "0 lost up to the node's request rate",
      });
      if (lost > 0 && lossStarts.startsWith("none")) lossStarts = `${rate.toLocaleString("en-US")} lines/s`;
      metrics.counter.take();
    }
    rows.push({
      measure: "line rate at which the agent's socket starts to lose lines",
      value: lossStarts,
      target: "above the node's req/s",
    });
    await metrics.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function minuteOf(environmentId: number, at: number) {
  return {
    environmentId,
    at,
    requests: 100,
    status2xx: 95,
    status3xx: 1,
    status4xx: 3,
    status5xx: 1,
    bytesIn: 42_000,
    bytesOut: 512_000,
    hits: 60,
    misses: 30,
    passes: 5,
    blocked: 0,
    latency: [40, 20, 15, 10, 5, 4, 3, 2, 1, 0, 0, 0],
  };
}

async function consoleMeasures(): Promise<TrafficBenchRow[]> {
  const temp = makeTempDataDir("bench-traffic-console-");
  const rows: TrafficBenchRow[] = [];
  try {
    const envIds = Array.from({ length: 1000 }, (_, i) => i + 1);
    await withWriterClient((db) => {
      db.exec("BEGIN");
      db.prepare("INSERT INTO accounts (id, name) VALUES (1, 'Bench')").run();
      db.prepare(
        "INSERT INTO applications (id, account_id, name, repo_name, repo_dir, stack_id) VALUES (1, 1, 'bench', 'bench', 'bench', 'varnish')",
      ).run();
      const env = db.prepare("INSERT INTO environments (id, account_id, application_id, name) VALUES (?, 1, 1, ?)");
      for (const id of envIds) env.run(id, `Env${id}`);
      const node = db.prepare("INSERT INTO edge_nodes (id, name, token_hash, prefix) VALUES (?, ?, ?, 'en_x')");
      for (let n = 1; n <= 50; n++) node.run(n, `edge-${n}`, `hash-${n}`);
      db.exec("COMMIT");
    });
    const now = Date.now();
    const at = now - (now % 60_000) - 60_000;
    const pushes: MetricsPush[] = Array.from({ length: 50 }, () => ({
      pushId: randomUUID(),
      createdAt: now,
      lostLogs: 0,
      droppedPushes: 0,
      minutes: envIds.map((id) => minuteOf(id, at)),
      recent: envIds.slice(0, 100).map((id) => ({
        environmentId: id,
        at: now,
        method: "GET",
        path: "/a?x",
        status: 200,
        cache: "HIT",
        durationMs: 3,
        requestId: randomUUID(),
      })),
    }));
    const t0 = performance.now();
    for (let n = 0; n < 50; n++) {
      const r = await ingestMetricsPush(n + 1, pushes[n], now);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
    }
    const ms = performance.now() - t0;
    const total = (readerClient().prepare("SELECT sum(requests) AS n FROM traffic_minutes").get() as { n: number }).n;
    rows.push({
      measure: "console ingest: one minute from 50 nodes × 1,000 environments (50 pushes)",
      value: `${ms.toFixed(0)} ms (${(ms / 50).toFixed(1)} ms per push; ${total.toLocaleString("en-US")} requests summed)`,
      target: "< 60 s (a minute's pushes within the minute)",
    });
    // 7 days of hour rows for 100 environments, then the chart query.
    await withWriterClient((db) => {
      db.exec("BEGIN");
      const cols = "environment_id, account_id, at, requests, status_2xx, status_5xx, bytes_out, hits, misses, lat_0, lat_1";
      const ins = db.prepare(
        `INSERT OR REPLACE INTO traffic_hours (${cols}) VALUES (?, 1, ?, 6000, 5900, 100, 3000000, 4000, 1000, 5000, 1000)`,
      );
      const hour0 = now - (now % 3_600_000) - 7 * 86_400_000;
      for (const id of envIds.slice(0, 100)) for (let h = 0; h <= 168; h++) ins.run(id, hour0 + h * 3_600_000);
      db.exec("COMMIT");
    });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      await trafficSeries(envIds.slice(0, 100), now - 7 * 86_400_000, now, "hour");
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    rows.push({
      measure: "chart query: 7 days of hours × 100 environments (10 runs)",
      value: `p50 ${times[4].toFixed(1)} ms, max ${times[9].toFixed(1)} ms`,
      target: "< 500 ms",
    });
  } finally {
    temp.cleanup();
  }
  return rows;
}

/**
 * A real node (haproxy + varnishd, EDGE_METRICS_FLUSH_SECONDS=1) in front of a loopback origin: `wrk -c 64 -d 10s`
 * on a cached URL, then the console's count against wrk's, and the loss the node reported.
 */
async function nodeMeasures(): Promise<TrafficBenchRow[]> {
  const missing = ["haproxy", "varnishd", "wrk"].filter((t) => !haveTool(t));
  if (missing.length) return [{ measure: "wrk -c 64 10 s through a node", value: `skipped: ${missing.join(", ")} missing`, target: "" }];
  const restoreEnv = setTestEnv({ EDGE_IPV4: "127.0.0.2", EDGE_IPV6: "", ALLOW_PRIVATE_ORIGINS: "true" });
  const temp = makeTempDataDir("bench-traffic-node-");
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-traffic-node-"));
  const origin = http.createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=300" }).end("hello\n"),
  );
  const server = edgeConsoleServer();
  const httpPort = 30990;
  let node: EdgeAgent | null = null;
  try {
    clearEdgeStateCache();
    await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
    const fixture = await makeApplication("benchtraffic");
    await pointProductionAt(fixture, (origin.address() as { port: number }).port);
    await settleEdgeChanges();
    await reconcileEdgeState();
    const { token } = await createEdgeNode("bench-1");
    const consoleUrl = await listenLoopback(server);
    const agent = edgeAgent({ stateDir, consoleUrl, httpPort, portBase: 61000, token, env: { EDGE_METRICS_FLUSH_SECONDS: "1" } });
    node = agent;
    agent.start();
    const host = `www.benchtraffic.example`;
    await until(
      "the node to serve",
      () =>
        new Promise<boolean>((resolve) => {
          http
            .get({ host: "127.0.0.2", port: httpPort, path: "/", headers: { host }, agent: false }, (res) => {
              res.resume();
              resolve(res.statusCode === 200);
            })
            .on("error", () => resolve(false));
        }),
      90_000,
      () => agent.log(),
    );
    const total = () =>
      Number((readerClient().prepare("SELECT coalesce(sum(requests), 0) AS n FROM traffic_minutes").get() as { n: number }).n);
    const lost = () =>
      Number((readerClient().prepare("SELECT coalesce(sum(lost_logs), 0) AS n FROM traffic_node_minutes").get() as { n: number }).n);
    await new Promise((r) => setTimeout(r, 3000));
    const before = total();
    const lostBefore = lost();
    const out = await new Promise<string>((resolve, reject) =>
      execFile("wrk", ["-t", "2", "-c", "64", "-d", "10s", "-H", `Host: ${host}`, `http://127.0.0.2:${httpPort}/cached`], (e, stdout) =>
        e ? reject(e) : resolve(stdout),
      ),
    );
    const sent = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? "?";
    const t0 = Date.now();
    await until("the console to count what wrk sent", () => total() - before >= sent - lost() + lostBefore || null, 30_000).catch(
      () => null,
    );
    const visibleMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 2500));
    const counted = total() - before;
    const reportedLost = lost() - lostBefore;
    return [
      {
        measure: `wrk -c 64 10 s through a node (${rps} req/s, cache hits)`,
        value: `${sent} answered, ${counted} counted, ${sent - counted} missing, ${reportedLost} reported lost; counted ${visibleMs} ms after wrk ended (flush 1 s)`,
        // wrk counts the answers completed within its 10 s: up to one more request per connection (64) is answered
        // after that and counted by the node, so "missing" may be down to -64 with nothing lost.
        target: "missing between -64 and the reported loss; visible within flush + 10 s",
      },
    ];
  } finally {
    await node?.stop("SIGTERM").catch(() => undefined);
    node?.leftovers();
    server.close();
    origin.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
    temp.cleanup();
    restoreEnv();
  }
}

/**
 * A 30 s console outage under load (docs/traffic.md "On the node"): a real node (flush 1 s) under `wrk -c 32` for 45 s;
 * 5 s in, the console's listener closes (every connection dropped) and opens again on the same port 30 s later. The
 * node keeps serving and spools its pushes meanwhile; afterwards the console's count must equal wrk's (give or take
 * the requests still in flight when wrk stopped).
 */
async function outageMeasures(): Promise<TrafficBenchRow[]> {
  const missing = ["haproxy", "varnishd", "wrk"].filter((t) => !haveTool(t));
  if (missing.length) return [{ measure: "30 s console outage under wrk", value: `skipped: ${missing.join(", ")} missing`, target: "" }];
  const restoreEnv = setTestEnv({ EDGE_IPV4: "127.0.0.2", EDGE_IPV6: "", ALLOW_PRIVATE_ORIGINS: "true" });
  const temp = makeTempDataDir("bench-traffic-outage-");
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-traffic-outage-"));
  const origin = http.createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=300" }).end("hello\n"),
  );
  const server = edgeConsoleServer();
  const httpPort = 30996;
  let node: EdgeAgent | null = null;
  try {
    clearEdgeStateCache();
    await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
    const fixture = await makeApplication("benchoutage");
    await pointProductionAt(fixture, (origin.address() as { port: number }).port);
    await settleEdgeChanges();
    await reconcileEdgeState();
    const { token } = await createEdgeNode("bench-outage");
    const consoleUrl = await listenLoopback(server);
    const consolePort = Number(new URL(consoleUrl).port);
    const agent = edgeAgent({ stateDir, consoleUrl, httpPort, portBase: 61400, token, env: { EDGE_METRICS_FLUSH_SECONDS: "1" } });
    node = agent;
    agent.start();
    const host = `www.benchoutage.example`;
    const get = () =>
      new Promise<boolean>((resolve) => {
        http
          .get({ host: "127.0.0.2", port: httpPort, path: "/", headers: { host }, agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          })
          .on("error", () => resolve(false));
      });
    await until("the node to serve", get, 90_000, () => agent.log());
    const total = () =>
      Number((readerClient().prepare("SELECT coalesce(sum(requests), 0) AS n FROM traffic_minutes").get() as { n: number }).n);
    const lost = () =>
      Number((readerClient().prepare("SELECT coalesce(sum(lost_logs), 0) AS n FROM traffic_node_minutes").get() as { n: number }).n);
    await new Promise((r) => setTimeout(r, 3000));
    const before = total();
    const lostBefore = lost();
    const wrk = new Promise<string>((resolve, reject) =>
      execFile("wrk", ["-t", "2", "-c", "32", "-d", "45s", "-H", `Host: ${host}`, `http://127.0.0.2:${httpPort}/cached`], (e, stdout) =>
        e ? reject(e) : resolve(stdout),
      ),
    );
    await new Promise((r) => setTimeout(r, 5000));
    server.close();
    server.closeAllConnections();
    const downAt = Date.now();
    const countedWhenDown = total() - before;
    await new Promise((r) => setTimeout(r, 30_000));
    const countedDuringOutage = total() - before - countedWhenDown;
    const spooled = fs.existsSync(path.join(stateDir, "private", "metrics-spool"))
      ? fs.readdirSync(path.join(stateDir, "private", "metrics-spool")).length
      : -1;
    await new Promise<void>((resolve) => server.listen(consolePort, "127.0.0.1", resolve));
    const upAt = Date.now();
    const out = await wrk;
    const sent = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? "?";
    const t0 = Date.now();
    await until("the console to count what wrk sent", () => total() - before >= sent - lost() + lostBefore || null, 60_000).catch(
      () => null,
    );
    const visibleMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 2500));
    const counted = total() - before;
    const reportedLost = lost() - lostBefore;
    return [
      {
        measure: `30 s console outage under wrk -c 32 for 45 s (${rps} req/s, cache hits)`,
        value:
          `${sent} answered, ${counted} counted, ${sent - counted} missing, ${reportedLost} reported lost; ` +
          `${countedDuringOutage} counted while down (${Math.round((upAt - downAt) / 1000)} s), ${spooled} pushes spooled at its end; ` +
          `counted ${visibleMs} ms after wrk ended`,
        target: "missing between -32 and the reported loss",
      },
    ];
  } finally {
    await node?.stop("SIGTERM").catch(() => undefined);
    node?.leftovers();
    server.close();
    origin.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
    temp.cleanup();
    restoreEnv();
  }
}

/** The console outage measure alone (`npx tsx --conditions=react-server -e` on {@link benchTrafficOutage}). */
export async function benchTrafficOutage(): Promise<TrafficBenchRow[]> {
  return outageMeasures();
}

/** Runs the traffic benchmark; one row per measure. */
export async function benchTraffic(): Promise<TrafficBenchRow[]> {
  return [...(await agentMeasures()), ...(await consoleMeasures()), ...(await nodeMeasures()), ...(await outageMeasures())];
}
