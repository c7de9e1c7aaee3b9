import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { rawReader, rawWriteTransaction } from "@/db/raw";
import { resetSettings } from "@/lib/config";
import { CHECK_BATCH_SIZE } from "@/lib/dns/batch";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { sweepDueDomains } from "@/lib/dns/scheduler";
import { startDnsServer } from "@/lib/testing/dns-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { ownCpuMs, postmasterPid, processCpuMs } from "./cpu";
import { findKnotd, startKnot, type ZoneRecord } from "./knot";
import { rssSampler } from "./stats";

// A full background sweep (lib/dns/scheduler) of many due domains against a fast DNS server on loopback (Debian's
// knotd with a generated zone; the project's dns2 test server when knot is not installed), next to the floor of a
// bare resolver loop asking the same server one CNAME per domain at the same concurrency, without the database.

/** One measured run: `sweep` (sweepDueDomains: DNS + SQLite + audit) or `floor` (bare `resolveCname` loop). */
export type SweepBenchRow = {
  kind: "sweep" | "floor";
  server: string;
  concurrency: number;
  /** Results written per transaction (`-` for the floor; 1 = a transaction per domain, as before batching). */
  batch: number | "-";
  domains: number;
  wallMs: number;
  perSecond: number;
  /** Highest resident set size sampled during the run (every 20 ms), MiB. */
  peakRssMiB: number;
  /**
   * CPU time per 1,000 domains (ms, user + system) of each kind of process: `node` (the sweeping process or
   * processes), `pg` (the PostgreSQL server: postmaster and backends; absent on SQLite), `dns` (knotd; absent with the
   * in-process dns2 server), e.g. `node 410 · pg 350 · dns 60`.
   */
  cpuPerK: string;
  /** All that CPU time divided by the wall time: how many cores the run kept busy (the machine's count is the cap). */
  coresBusy: number;
  /** What the run ended with, e.g. `live 8500 · misconfigured 1000 · nxdomain 500` (checks stored, for the sweep). */
  result: string;
};

/** The processes whose CPU time a run counts besides the sweeping ones: PostgreSQL's postmaster, the DNS server. */
type CpuTargets = { postmaster: number | null; dnsPid: number | null };

/** CPU time of the other processes now (ms): see {@link CpuTargets}. */
function otherCpu(t: CpuTargets): { pg: number; dns: number } {
  return { pg: t.postmaster ? processCpuMs(t.postmaster, true) : 0, dns: t.dnsPid ? processCpuMs(t.dnsPid) : 0 };
}

/** The cpuPerK and coresBusy columns of a run of `domains` over `wallMs` from each kind's CPU ms (see SweepBenchRow). */
function cpuColumns(t: CpuTargets, domains: number, wallMs: number, ms: { node: number; pg: number; dns: number }) {
  const parts = [`node ${Math.round((ms.node / domains) * 1000)}`];
  if (t.postmaster) parts.push(`pg ${Math.round((ms.pg / domains) * 1000)}`);
  if (t.dnsPid) parts.push(`dns ${Math.round((ms.dns / domains) * 1000)}`);
  return { cpuPerK: parts.join(" · "), coresBusy: Math.round(((ms.node + ms.pg + ms.dns) / wallMs) * 100) / 100 };
}

const ZONE = "bench.test";

/** The zone and the hostnames: 70 % CNAME to their target, 15 % edge A, 10 % CNAME elsewhere, 5 % missing (NXDOMAIN). */
function plan(count: number): { records: ZoneRecord[]; names: string[] } {
  const records: ZoneRecord[] = [{ name: "elsewhere", type: "A", value: "203.0.113.1" }];
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const label = `www${i}`;
    const hostname = `${label}.${ZONE}`;
    names.push(hostname);
    const k = i % 20;
    if (k < 14) records.push({ name: label, type: "CNAME", value: `${hostname}.edge.localhost.` });
    else if (k < 17) records.push({ name: label, type: "A", value: "192.0.2.10" });
    else if (k < 19) records.push({ name: label, type: "CNAME", value: `elsewhere.${ZONE}.` });
  }
  return { records, names };
}

/** Inserts `names` as never-checked (due) domains of one application, in one transaction, 500 rows per statement. */
async function insertDomains(names: string[]): Promise<void> {
  await rawWriteTransaction(async (db) => {
    const [{ id: accountId }] = await db.rows<{ id: number }>("INSERT INTO accounts (name) VALUES ('Bench') RETURNING id");
    const [{ id: appId }] = await db.rows<{ id: number }>(
      "INSERT INTO applications (account_id, name, repo_name, repo_dir, stack_id) VALUES (?, 'bench', 'bench', 'bench', 'varnish') RETURNING id",
      [accountId],
    );
    const [{ id: envId }] = await db.rows<{ id: number }>(
      "INSERT INTO environments (account_id, application_id, name) VALUES (?, ?, 'Production') RETURNING id",
      [accountId, appId],
    );
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      await db.run(
        "INSERT INTO domains (account_id, application_id, environment_id, hostname, hostname_unicode, is_apex, verification_token) VALUES " +
          chunk.map(() => "(?, ?, ?, ?, ?, 0, ?)").join(", "),
        chunk.flatMap((name, j) => [accountId, appId, envId, name, name, `token-${i + j}`]),
      );
    }
  });
}

async function resetDomains(): Promise<void> {
  await rawWriteTransaction(async (db) => {
    await db.run("DELETE FROM dns_checks");
    await db.run("DELETE FROM audit_events");
    await db.run(
      "UPDATE domains SET status = 'pending', last_checked_at = NULL, last_success_at = NULL, flagged = 0, failure_streak = 0, next_check_at = NULL, lease_until = NULL",
    );
  });
}

/** Resets every domain to never-checked, then times one sweep of all of them. */
async function measureSweep(p: {
  count: number;
  concurrency: number;
  batchSize: number;
  serverName: string;
  resolver: Resolver;
  cpu: CpuTargets;
}): Promise<SweepBenchRow> {
  await resetDomains();
  const stop = rssSampler();
  const before = { node: ownCpuMs(), ...otherCpu(p.cpu) };
  const started = performance.now();
  const sweep = await sweepDueDomains({ limit: p.count, concurrency: p.concurrency, batchSize: p.batchSize, resolver: p.resolver });
  const wallMs = performance.now() - started;
  const after = { node: ownCpuMs(), ...otherCpu(p.cpu) };
  const peak = stop();
  const byStatus = await rawReader().rows<{ status: string; n: number }>(
    "SELECT status, count(*) AS n FROM domains GROUP BY status ORDER BY n DESC",
  );
  const [{ n: stored }] = await rawReader().rows<{ n: number }>("SELECT count(*) AS n FROM dns_checks");
  return {
    kind: "sweep",
    server: p.serverName,
    concurrency: p.concurrency,
    batch: p.batchSize,
    domains: sweep.checked,
    wallMs: Math.round(wallMs),
    perSecond: Math.round((sweep.checked / wallMs) * 1000),
    peakRssMiB: peak,
    ...cpuColumns(p.cpu, sweep.checked, wallMs, { node: after.node - before.node, pg: after.pg - before.pg, dns: after.dns - before.dns }),
    result: `${byStatus.map((r) => `${r.status} ${r.n}`).join(" · ")} · checks ${stored} · failed ${sweep.failed}`,
  };
}

/** Resets the domains, then times `p.workers` `lib/testing/sweep-worker.ts` processes sweeping them together. */
async function measureWorkers(p: {
  workers: number;
  count: number;
  concurrency: number;
  serverName: string;
  cpu: CpuTargets;
}): Promise<SweepBenchRow> {
  await resetDomains();
  const goFile = path.join(process.env.DATA_DIR!, `go-${Date.now()}`);
  const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
  const job = JSON.stringify({ goFile, nowMs: Date.now(), concurrency: p.concurrency, batchSize: CHECK_BATCH_SIZE });
  const workers = Array.from({ length: p.workers }, () => {
    const child = spawn(tsx, ["lib/testing/sweep-worker.ts", job], { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const ready = new Promise<void>((resolve) => child.stdout.on("data", () => out.startsWith("ready") && resolve()));
    const done = new Promise<{ checked: number; failed: number; cpuMs: number }>((resolve, reject) =>
      child.on("exit", (code) =>
        code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`sweep worker exited ${code}`)),
      ),
    );
    return { ready, done };
  });
  await Promise.all(workers.map((w) => w.ready));
  const before = otherCpu(p.cpu);
  const started = performance.now();
  fs.writeFileSync(goFile, "");
  const results = await Promise.all(workers.map((w) => w.done));
  const wallMs = performance.now() - started;
  const after = otherCpu(p.cpu);
  const checked = results.reduce((sum, r) => sum + r.checked, 0);
  const [{ n: stored }] = await rawReader().rows<{ n: number }>("SELECT count(*) AS n FROM dns_checks");
  return {
    kind: "sweep",
    server: `${p.serverName}, ${p.workers} worker process${p.workers === 1 ? "" : "es"}`,
    concurrency: p.concurrency,
    batch: CHECK_BATCH_SIZE,
    domains: checked,
    wallMs: Math.round(wallMs),
    perSecond: Math.round((checked / wallMs) * 1000),
    peakRssMiB: 0,
    ...cpuColumns(p.cpu, checked, wallMs, {
      node: results.reduce((sum, r) => sum + r.cpuMs, 0),
      pg: after.pg - before.pg,
      dns: after.dns - before.dns,
    }),
    result: `checks ${stored} · by worker ${results.map((r) => r.checked).join(" + ")} · failed ${results.reduce((s, r) => s + r.failed, 0)}`,
  };
}

/**
 * Benchmarks one background sweep of `domains` (default 10,000) due domains at each concurrency (default 32, 128)
 * through the real scheduler (`sweepDueDomains`, DNS_SERVERS pointing at the loopback server, temporary SQLite
 * file), plus one writing a transaction per result, beside the floor of a bare `dns.promises.Resolver` loop. DNS
 * on 127.0.0.1:`port` (default 21053) from knotd when installed, else the dns2 test server. Restores the environment
 * variables it changes.
 */
export async function benchSweep(options: { domains?: number; concurrency?: number[]; port?: number } = {}): Promise<SweepBenchRow[]> {
  const count = options.domains ?? 10_000;
  const levels = options.concurrency ?? [32, 128];
  const { records, names } = plan(count);
  let server: { address: string; pid?: number; close: () => Promise<void> };
  let serverName: string;
  if (findKnotd()) {
    server = await startKnot({ port: options.port ?? 21053, zone: ZONE, records });
    serverName = "knotd";
  } else {
    const dns2 = await startDnsServer();
    for (const r of records) dns2.set(`${r.name}.${ZONE}`, [{ type: r.type, value: r.value.replace(/\.$/, "") }]);
    server = dns2;
    serverName = "dns2";
  }
  const env = {
    DNS_SERVERS: server.address,
    EDGE_CNAME_SUFFIX: "edge.localhost",
    EDGE_IPV4: "192.0.2.10",
    EDGE_IPV6: "",
    DNS_TIMEOUT_MS: "2000",
    DNS_TRIES: "2",
  };
  const saved = Object.fromEntries([...Object.keys(env), "DATA_DIR"].map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const temp = makeTempDataDir("ec-bench-sweep-");
  const rows: SweepBenchRow[] = [];
  try {
    await insertDomains(names);
    const cpu: CpuTargets = { postmaster: await postmasterPid(), dnsPid: server.pid ?? null };
    const resolver = createResolver([server.address]);
    for (const concurrency of levels) {
      let next = 0;
      const answers = { cname: 0, none: 0 };
      const stopFloor = rssSampler();
      const floorBefore = { node: ownCpuMs(), ...otherCpu(cpu) };
      const floorStart = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < names.length) {
            const name = names[next++];
            await resolver.resolveCname(name).then(
              () => answers.cname++,
              () => answers.none++,
            );
          }
        }),
      );
      const floorMs = performance.now() - floorStart;
      const floorAfter = { node: ownCpuMs(), ...otherCpu(cpu) };
      rows.push({
        kind: "floor",
        server: serverName,
        concurrency,
        batch: "-",
        domains: count,
        wallMs: Math.round(floorMs),
        perSecond: Math.round((count / floorMs) * 1000),
        peakRssMiB: stopFloor(),
        // The floor never touches the database: its pg figure is what the idle server used meanwhile.
        ...cpuColumns(cpu, count, floorMs, {
          node: floorAfter.node - floorBefore.node,
          pg: floorAfter.pg - floorBefore.pg,
          dns: floorAfter.dns - floorBefore.dns,
        }),
        result: `CNAME ${answers.cname} · none ${answers.none}`,
      });

      rows.push(await measureSweep({ count, concurrency, batchSize: CHECK_BATCH_SIZE, serverName, resolver, cpu }));
    }
    // One, then two worker processes sweeping the same due domains at once (each at the first concurrency level): the
    // leases share the work out; the rate is checks stored per second of wall time from the start signal to the last
    // exit. One process alone is the baseline of the two (both start cold, as a worker does).
    for (const workers of [1, 2]) rows.push(await measureWorkers({ workers, count, concurrency: levels[0], serverName, cpu }));
    // The same sweep writing one transaction per result, at the highest concurrency: what batching saves.
    rows.push(await measureSweep({ count, concurrency: levels[levels.length - 1], batchSize: 1, serverName, resolver, cpu }));
  } finally {
    temp.cleanup();
    await server.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetSettings();
  }
  return rows;
}
