import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { getDb } from "@/db";
import { edgeNodes } from "@/db/schema";
import { edgeAgent, get, type EdgeAgent } from "@/edge/agent/test-harness";
import { haveTool } from "@/edge/modules/tools";
import { createEdgeNode } from "@/lib/edge/nodes";
import { clearEdgeStateCache } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { purgePrefix } from "@/lib/purge/expression";
import { createPurge, PURGE_RATE_LIMIT, waitForPurge } from "@/lib/purge/store";
import { edgeConsoleServer, listenLoopback, pointProductionAt } from "@/lib/purge/test-edge";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

// Purge benchmark (docs/edge.md "Purge"; docs/product.md §10): the console's edge handlers on temp SQLite, three real
// edge agents (haproxy + varnishd) on 127.0.0.2–4, one environment with varnish in front of a loopback origin. Each
// run caches a URL on all three nodes (HIT on each), then sends a prefix purge the way the API does (createPurge, then
// waiting until every active node reported it applied) and stops the clock when that wait ends; the next request for
// the URL on every node must then be a MISS. Target: p95 ≤ 1 s. A second measure sends the purge and polls the three
// nodes until each answers MISS (the effect itself, without the report's way back).
// Run: `npx tsx --conditions=react-server bench/run.ts purge`. Measured here (2 cores, 3 nodes): reported p50 82 ms,
// p95 129 ms; MISS on every node p50 116 ms, p95 189 ms.
// Ports: public HTTP 30970, internal bases 60000, 61000, 62000 (a node uses a few ports from base + 10).

export type PurgeBenchRow = { measure: string; runs: number; p50Ms: number; p95Ms: number; maxMs: number; target: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function row(measure: string, ms: number[], target: string): PurgeBenchRow {
  return {
    measure,
    runs: ms.length,
    p50Ms: Math.round(percentile(ms, 50)),
    p95Ms: Math.round(percentile(ms, 95)),
    maxMs: Math.round(Math.max(...ms)),
    target,
  };
}

/**
 * Runs the benchmark with `runs` purges per measure (at most half the per-environment rate limit each, so both
 * measures fit in one minute's allowance). Returns one row per measure; throws when a node does not serve or a purged
 * URL is still a HIT.
 */
export async function benchPurge({ runs = 10 }: { runs?: number } = {}): Promise<PurgeBenchRow[]> {
  const missing = ["haproxy", "varnishd", "varnishadm", "openssl"].filter((t) => !haveTool(t));
  if (missing.length) return [{ measure: `skipped: ${missing.join(", ")} missing`, runs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0, target: "" }];
  const perMeasure = Math.min(runs, Math.floor(PURGE_RATE_LIMIT / 2));
  const httpPort = 30970;
  const addresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
  const restoreEnv = setTestEnv({ ALLOW_PRIVATE_ORIGINS: "true", EDGE_IPV4: addresses.join(",") });
  const temp = makeTempDataDir("ec-bench-purge-");
  clearEdgeStateCache();
  const origin = http.createServer((req, res) =>
    res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=3600" }).end(`origin ${req.url}\n`),
  );
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const server = edgeConsoleServer();
  const agents: EdgeAgent[] = [];
  const stateDirs: string[] = [];
  try {
    const shop = await makeApplication("benchpurge");
    await pointProductionAt(shop, (origin.address() as AddressInfo).port);
    await reconcileEdgeState();
    const environment = await environmentRow(shop.app, "Production");
    const target = { id: environment.id, accountId: shop.app.accountId, applicationId: shop.app.id, name: "Production" };
    const consoleUrl = await listenLoopback(server);
    for (const [i, address] of addresses.entries()) {
      const { token } = await createEdgeNode(`bench-purge-${i + 1}`);
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `ec-bench-purge-node${i + 1}-`));
      stateDirs.push(stateDir);
      const agent = edgeAgent({ stateDir, consoleUrl, httpPort, portBase: 60000 + i * 1000, bindAddress: address, token });
      agent.start();
      agents.push(agent);
    }
    const host = "www.benchpurge.example";
    const status = (address: string, urlPath: string) => get(httpPort, host, {}, urlPath, address).catch(() => null);
    const deadline = Date.now() + 120_000;
    for (const address of addresses) {
      while ((await status(address, "/ready"))?.status !== 200) {
        if (Date.now() > deadline)
          throw new Error(`node ${address} does not serve ${host}:\n${agents.map((a) => a.log().slice(-1500)).join("\n")}`);
        await sleep(200);
      }
    }
    while ((await getDb().select().from(edgeNodes)).filter((n) => n.lastContactAt).length < addresses.length) await sleep(100);

    const warm = async (urlPath: string) => {
      for (const address of addresses) {
        await status(address, urlPath);
        const again = await status(address, urlPath);
        if (again?.headers["x-cache"] !== "HIT") throw new Error(`${address}${urlPath} is not a HIT before the purge`);
      }
    };
    const cacheOn = async (address: string, urlPath: string) => String((await status(address, urlPath))?.headers["x-cache"]);

    const reported: number[] = [];
    for (let i = 0; i < perMeasure; i++) {
      const urlPath = `/reported/${i}/page`;
      await warm(urlPath);
      const built = purgePrefix(`e${environment.id}`, `/reported/${i}/`);
      if (!built.ok) throw new Error(built.message);
      const started = performance.now();
      const created = await createPurge({ environment: target, actor: shop.actor("developer"), purge: built.purge });
      if (!created.ok) throw new Error(created.refusal.message);
      const done = await waitForPurge(environment.id, created.id, 30_000, 10);
      reported.push(performance.now() - started);
      if (!done?.complete) throw new Error(`purge ${created.id} not applied by every node within 30 s`);
      for (const address of addresses)
        if ((await cacheOn(address, urlPath)) !== "MISS") throw new Error(`${address}${urlPath} still a HIT`);
    }

    const effective: number[] = [];
    for (let i = 0; i < perMeasure; i++) {
      const urlPath = `/effect/${i}/page`;
      await warm(urlPath);
      const built = purgePrefix(`e${environment.id}`, `/effect/${i}/`);
      if (!built.ok) throw new Error(built.message);
      const started = performance.now();
      const created = await createPurge({ environment: target, actor: shop.actor("developer"), purge: built.purge });
      if (!created.ok) throw new Error(created.refusal.message);
      // A HIT leaves the object as it is, so polling until MISS measures the effect without changing it.
      const pending = new Set(addresses);
      while (pending.size) {
        for (const address of [...pending]) if ((await cacheOn(address, urlPath)) === "MISS") pending.delete(address);
        if (performance.now() - started > 30_000) throw new Error(`${[...pending].join(", ")} still HIT ${urlPath} after 30 s`);
        if (pending.size) await sleep(5);
      }
      effective.push(performance.now() - started);
    }
    return [
      row("purge → every node reported it applied (what the API's 204 waits for), 3 nodes", reported, "p95 ≤ 1000 ms"),
      row("purge → every node answers MISS for the purged URL, 3 nodes", effective, "p95 ≤ 1000 ms"),
    ];
  } finally {
    for (const agent of agents) {
      await agent.stop("SIGTERM");
      agent.leftovers();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => origin.close(() => resolve()));
    temp.cleanup();
    restoreEnv();
    for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
