import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb, first } from "@/db";
import { edgeNodes, environments, trafficNodeMinutes } from "@/db/schema";
import { edgeAgent, randomPorts, until, type EdgeAgent } from "@/edge/agent/test-harness";
import { haveTool } from "@/edge/modules/tools";
import { haproxyCommand } from "@/edge/haproxy/runtime";
import { createApiToken } from "@/lib/api-tokens";
import { operations } from "@/lib/api/operations";
import { createApiRouter } from "@/lib/api/router";
import { edgeConsoleServer } from "@/lib/testing/edge-console";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { commitFiles, git, makeApplication } from "@/lib/environments/fixtures";
import { recordPush } from "@/lib/git-http/receive";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { recentRequests } from "./query";

// Traffic end to end on loopback (docs/traffic.md): the console's edge handlers (state, report, metrics) on a
// temporary SQLite file, the real agent (haproxy, varnishd) bound to 127.0.0.2 with EDGE_METRICS_FLUSH_SECONDS=1, a
// real origin on 127.0.0.1. Requests through the node show up in the metrics API with exact totals, statuses and
// HITs (as the client saw them); the node's health path is not counted; the recent requests hold the request id the
// client got, with query keys and no values; at a fixed 2,000 req/s for 5 s the console counts exactly what the
// client sent: none lost, none twice. The counts are HAProxy's own counters (docs/traffic.md "Counters"): log lines
// lost while the agent is paused lose no request, and neither do two reloads of HAProxy under load.

vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

const missing = ["haproxy", "varnishd", "varnishadm"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";

/** Ports of this suite: its slot in edge/agent/test-harness.ts PORT_SLOTS. */
const { httpPort, portBase } = randomPorts("traffic");

type Seen = { status: number; cache: string | undefined; requestId: string | undefined };

describe.skipIf(skip)(`traffic end to end: agent, console, origin${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const hostname = "www.e2etraffic.example";
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let server: http.Server;
  let origin: http.Server;
  let agent: EdgeAgent;
  let stateDir: string;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let envId = 0;
  let apiToken = "";
  const handle = createApiRouter(operations);

  /** One GET through the node (keep-alive); resolves with what the client saw. */
  const request = (urlPath: string): Promise<Seen> =>
    new Promise((resolve, reject) => {
      const r = http.get({ host: "127.0.0.2", port: httpPort, path: urlPath, headers: { host: hostname }, agent: keepAlive }, (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            cache: res.headers["x-cache"] as string | undefined,
            requestId: res.headers["x-request-id"] as string | undefined,
          }),
        );
      });
      r.setTimeout(10_000, () => r.destroy(new Error("timeout")));
      r.on("error", reject);
    });

  /** The environment's totals over the last 10 minutes, through the metrics API. */
  const totals = async (): Promise<Record<string, number>> => {
    const to = Date.now() + 60_000;
    const res = await handle(
      new Request(
        `http://localhost/api/v1/account/${fixture.app.accountId}/application/${fixture.app.id}/environment/Production/metrics?from=${to - 600_000}&to=${to}&step=minute`,
        { headers: { authorization: `Bearer ${apiToken}` } },
      ),
    );
    expect(res.status).toBe(200);
    // Without `at` (the window's start moves with the clock): only the counts.
    const counts = ((await res.json()) as { totals: Record<string, number> }).totals;
    delete counts.at;
    return counts;
  };

  /** Waits until the totals stay the same for 2.5 flush periods, and returns them. */
  const settled = async () => {
    let last = JSON.stringify(await totals());
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 2500));
      const now = JSON.stringify(await totals());
      if (now === last) return JSON.parse(now) as Record<string, number>;
      last = now;
    }
    throw new Error("the totals never settled");
  };

  const lostLogs = async () =>
    Number(
      (
        await first(
          getDb()
            .select({ n: sql<number>`coalesce(sum(${trafficNodeMinutes.lostLogs}), 0)` })
            .from(trafficNodeMinutes),
        )
      )?.n ?? 0,
    );

  beforeAll(async () => {
    restoreEnv = setTestEnv({ EDGE_IPV4: "127.0.0.2", EDGE_IPV6: "", ALLOW_PRIVATE_ORIGINS: "true" });
    temp = makeTempDataDir("ec-traffic-e2e-");
    clearEdgeStateCache();
    origin = http.createServer((req, res) => {
      const p = (req.url ?? "/").split("?")[0];
      if (p === "/boom") return res.writeHead(500, { "content-type": "text/plain", "cache-control": "no-store" }).end("boom\n");
      if (p === "/missing") return res.writeHead(404, { "content-type": "text/plain", "cache-control": "no-store" }).end("no\n");
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=300" }).end(`origin answered ${p}\n`);
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    fixture = await makeApplication("e2etraffic");
    const head = git(fixture.repo, "rev-parse", "Production");
    const config = JSON.parse(git(fixture.repo, "show", "Production:section.config.json")) as {
      environments: Record<string, { origin: object }>;
    };
    config.environments.Production.origin = { address: "127.0.0.1", protocol: "http", port: (origin.address() as AddressInfo).port };
    const pushed = await commitFiles(
      fixture.repo,
      head,
      { "section.config.json": `${JSON.stringify(config, null, 2)}\n` },
      { branch: "Production" },
    );
    await recordPush({
      application: fixture.app,
      actor: fixture.actor("owner"),
      tokenPrefix: "ec_test",
      updates: [{ ref: "refs/heads/Production", oldOid: head, newOid: pushed }],
      appUrl: "http://localhost",
    });
    await settleEdgeChanges();
    await reconcileEdgeState();
    envId = (await first(
      getDb()
        .select()
        .from(environments)
        .where(and(eq(environments.applicationId, fixture.app.id), eq(environments.name, "Production"))),
    ))!.id;
    apiToken = (await createApiToken({ userId: fixture.user("viewer").id, name: "t" })).value;
    const { token } = await createEdgeNode("edge-1");
    server = edgeConsoleServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-traffic-e2e-"));
    agent = edgeAgent({
      stateDir,
      consoleUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      httpPort,
      portBase,
      token,
      env: { EDGE_METRICS_FLUSH_SECONDS: "1" },
    });
    agent.start();
    await until(
      "the node to serve the environment",
      async () => {
        const node = await first(getDb().select().from(edgeNodes));
        if (!node?.lastContactAt || (node.appliedVersion ?? 0) === 0) return false;
        return (await request("/ready").catch(() => null))?.status === 200;
      },
      90_000,
      () => agent.log(),
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.stop("SIGTERM");
    agent?.leftovers();
    keepAlive.destroy();
    server?.close();
    origin?.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
    temp?.cleanup();
    restoreEnv?.();
  }, 90_000);

  it("counts requests, statuses, bytes and HITs exactly as the client saw them; the node's health path is not counted", async () => {
    const before = await settled();
    const seen: Seen[] = [];
    for (let i = 0; i < 20; i++) seen.push(await request("/cached"));
    for (let i = 0; i < 5; i++) seen.push(await request("/missing"));
    for (let i = 0; i < 3; i++) seen.push(await request(`/boom?token=secret-${i}&x=1`));
    for (let i = 0; i < 5; i++) {
      const health = await request("/.well-known/edge-node/health");
      expect(health.status).toBe(200);
    }
    const hits = seen.filter((s) => s.cache === "HIT").length;
    expect(hits).toBeGreaterThanOrEqual(18);
    const started = Date.now();
    const after = await until(
      "the requests in the metrics API",
      async () => {
        const t = await totals();
        return t.requests - before.requests >= seen.length ? t : false;
      },
      11_000 + 1000,
      () => agent.log(),
    );
    console.log(`metrics visible ${Date.now() - started} ms after the last request (flush 1 s)`);
    await new Promise((r) => setTimeout(r, 2500)); // two more flushes: nothing counted twice or late
    const final = await totals();
    expect(final).toEqual(after);
    expect(final.requests - before.requests).toBe(seen.length);
    expect(final.status_2xx - before.status_2xx).toBe(seen.filter((s) => s.status === 200).length);
    expect(final.status_4xx - before.status_4xx).toBe(5);
    expect(final.status_5xx - before.status_5xx).toBe(3);
    expect(final.cache_hits - before.cache_hits).toBe(hits);
    expect(final.cache_misses + final.cache_passes - before.cache_misses - before.cache_passes).toBe(
      seen.filter((s) => s.cache === "MISS" || s.cache === "PASS").length,
    );
    expect(final.bytes_out - before.bytes_out).toBeGreaterThan(seen.length * 100);
    expect((final.latency_histogram as unknown as number[]).reduce((a, b) => a + b, 0)).toBe(final.requests);

    // The recent requests hold the request id the client got, the query's keys, never its values.
    const last = seen[seen.length - 1];
    expect(last.requestId).toBeTruthy();
    const found = await recentRequests(envId, last.requestId);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ method: "GET", path: "/boom?token&x", status: 500, requestId: last.requestId });
    expect(JSON.stringify(await recentRequests(envId))).not.toContain("secret-");
    expect(JSON.stringify(await recentRequests(envId))).not.toContain("edge-node/health");
    expect(
      await lostLogs(),
      agent
        .log()
        .split("\n")
        .filter((l) => l.includes("lost"))
        .join("\n"),
    ).toBe(0);
  }, 90_000);

  it("at a fixed 2,000 req/s for 5 s the console counts exactly what the client sent: 0 lost, 0 double", async () => {
    const before = await settled();
    const rate = 2000;
    const seconds = 5;
    let sent = 0;
    let answered = 0;
    let failed = 0;
    const t0 = Date.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        // Paced: the number due by now, whatever the timer's jitter.
        const due = Math.min(rate * seconds, Math.floor(((Date.now() - t0) / 1000) * rate));
        while (sent < due) {
          sent++;
          request("/cached").then(
            () => answered++,
            () => failed++,
          );
        }
        if (sent >= rate * seconds) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    await until("every answer", () => answered + failed === sent, 30_000);
    const elapsed = (Date.now() - t0) / 1000;
    console.log(`paced client: ${sent} sent in ${elapsed.toFixed(1)} s, ${answered} answered, ${failed} failed`);
    const after = await until(
      "the paced requests in the metrics API",
      async () => {
        const t = await totals();
        return t.requests - before.requests >= answered ? t : false;
      },
      20_000,
      () => agent.log(),
    );
    await new Promise((r) => setTimeout(r, 2500));
    const final = await totals();
    const changed = Object.keys(final).filter((k) => JSON.stringify(final[k]) !== JSON.stringify(after[k]));
    expect(
      changed.map((k) => `${k}: ${JSON.stringify(after[k])} → ${JSON.stringify(final[k])}`),
      `counted after the totals reached the client's count (before: ${before.requests}, answered: ${answered})\n${agent
        .log()
        .split("\n")
        .filter((l) => /metrics|lost|push/.test(l))
        .slice(-20)
        .join("\n")}`,
    ).toEqual([]);
    expect(failed).toBe(0);
    expect(after.requests - before.requests).toBe(answered);
    expect(await lostLogs()).toBe(0);
  }, 120_000);
  /** Drops counted by the kernel for the agent's log socket (the last column of /proc/net/udp). */
  const socketDrops = () => {
    const hexPort = (portBase + 2).toString(16).toUpperCase().padStart(4, "0");
    const row = fs
      .readFileSync("/proc/net/udp", "utf8")
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1]?.endsWith(`:${hexPort}`));
    return Number(row?.[row.length - 1] ?? 0);
  };

  /** Sends `total` GETs, `concurrency` at a time; resolves with how many were answered (any status) and failed. */
  const burst = async (total: number, concurrency: number, stop?: () => boolean) => {
    let next = 0;
    let answered = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total && !stop?.()) {
          next++;
          await request("/cached").then(
            () => answered++,
            () => failed++,
          );
        }
      }),
    );
    return { answered, failed };
  };

  it("counts every request from HAProxy's counters while log lines are lost (the agent paused, its socket full)", async () => {
    const before = await settled();
    const lostBefore = await lostLogs();
    const drops0 = socketDrops();
    const agentPid = agent.child()!.pid!;
    // Paused, the agent reads nothing: HAProxy keeps answering and its lines overflow the socket's receive buffer
    // (net.core.rmem_max caps it; 4 MiB here, about 10,000 lines).
    process.kill(agentPid, "SIGSTOP");
    let sent = { answered: 0, failed: 0 };
    try {
      for (let round = 0; round < 10 && socketDrops() === drops0; round++) {
        const r = await burst(5000, 64);
        sent = { answered: sent.answered + r.answered, failed: sent.failed + r.failed };
      }
    } finally {
      process.kill(agentPid, "SIGCONT");
    }
    const dropped = socketDrops() - drops0;
    console.log(`agent paused: ${sent.answered} answered, ${sent.failed} failed, ${dropped} log lines dropped by the socket`);
    expect(dropped, "no log line was dropped: the burst did not fill the socket's buffer").toBeGreaterThan(0);
    await until(
      "the paused burst in the metrics API",
      async () => (await totals()).requests - before.requests >= sent.answered && (await lostLogs()) > lostBefore,
      20_000,
      () => agent.log(),
    );
    // The lines the socket kept are read after the pause: the cache counts and histogram settle a moment later.
    const after = await settled();
    expect(after.requests - before.requests).toBe(sent.answered);
    expect(after.status_2xx - before.status_2xx).toBe(sent.answered);
    // The lines that did arrive still give the cache counts and the histogram; the lost ones are reported.
    const logged = (after.latency_histogram as unknown as number[]).reduce((a, b) => a + b, 0);
    const loggedBefore = (before.latency_histogram as unknown as number[]).reduce((a, b) => a + b, 0);
    expect(logged - loggedBefore).toBeLessThan(sent.answered);
    expect((await lostLogs()) - lostBefore).toBeGreaterThanOrEqual(dropped);
  }, 120_000);

  it("counts every request across two HAProxy reloads under load: each old worker is held until its final read", async () => {
    const before = await settled();
    const master = path.join(stateDir, "haproxy", "master.sock");
    let done = false;
    const load = burst(1_000_000, 32, () => done);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await haproxyCommand(master, "reload")).not.toMatch(/fail/i);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await haproxyCommand(master, "reload")).not.toMatch(/fail/i);
    await new Promise((r) => setTimeout(r, 1500));
    done = true;
    const sent = await load;
    console.log(`two reloads under load: ${sent.answered} answered, ${sent.failed} failed (connections closed by old workers)`);
    // An old worker's last requests are counted 2 s after it exits (its late lines), then nothing moves.
    const after = await settled();
    // The holds kept both old workers until their counters were final: no request was left to their log lines.
    expect(agent.log()).not.toContain("exited before its final read");
    expect(
      after.requests - before.requests,
      `answered ${sent.answered}\n${agent
        .log()
        .split("\n")
        .filter((l) => /metrics|lost|reload/.test(l))
        .slice(-20)
        .join("\n")}`,
    ).toBe(sent.answered);
  }, 120_000);
  it("counts every request answered until the agent stops with its proxies under load, pushed by the next start", async () => {
    const before = await settled();
    let done = false;
    const load = burst(1_000_000, 16, () => done);
    await new Promise((r) => setTimeout(r, 2000));
    await agent.stop("SIGTERM");
    done = true;
    const sent = await load;
    console.log(`agent stopped under load: ${sent.answered} answered, ${sent.failed} failed (refused once HAProxy stopped)`);
    agent.start();
    // Whatever the node answers while it comes back is counted too (a 503 while varnishd loads the VCL), except a
    // 404 for a Host routed to nothing yet: noted here.
    const coming: number[] = [];
    await until(
      "the node to serve again",
      async () => {
        const r = await request("/ready").catch(() => null);
        if (r) coming.push(r.status);
        return r?.status === 200;
      },
      90_000,
      () => agent.log(),
    );
    const counted = coming.filter((status) => status !== 404).length;
    const after = await settled();
    expect(after.requests - before.requests, `answered ${sent.answered}, then while coming back: ${coming.join(",")}`).toBe(
      sent.answered + counted,
    );
    expect(after.status_5xx - before.status_5xx).toBe(coming.filter((status) => status >= 500).length);
  }, 180_000);
});
