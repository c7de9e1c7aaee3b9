import { writeTransaction, one } from "@/db";
import { accounts, applications, auditEvents, dnsChecks, domains, environments } from "@/db/schema";
import { resetSettings } from "@/lib/config";
import { checkDomains } from "@/lib/dns/go-live";
import { createResolver } from "@/lib/dns/resolver";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { percentile, rssSampler } from "./stats";

/** One measured run: `kind` is `checkDomains` (DNS + SQLite) or `floor` (bare `resolveCname`, no DB). */
export type DnsBenchRow = {
  kind: "checkDomains" | "floor";
  concurrency: number;
  checks: number;
  wallMs: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  /** Highest resident set size sampled during the run (every 20 ms), MiB. */
  peakRssMiB: number;
  /** DNS queries the server received, per check. */
  queriesPerCheck: number;
  /** Outcomes of the run, e.g. `live 750 · misconfigured 250`. */
  outcomes: string;
};

/** Fills the zone and the database: half subdomains CNAMEd to their target, a quarter apexes on edge A, a quarter pointing elsewhere. */
async function seed(dnsServer: TestDnsServer, count: number): Promise<{ ids: number[]; names: string[] }> {
  dnsServer.set("elsewhere.example.net", [{ type: "A", value: "203.0.113.1" }]);
  const { accountId, applicationId, environmentId } = await writeTransaction(async (db) => {
    const accountId = (await one(db.insert(accounts).values({ name: "Bench" }).returning())).id;
    const applicationId = (
      await one(
        db.insert(applications).values({ accountId, name: "bench", repoName: "bench", repoDir: "bench", stackId: "varnish" }).returning(),
      )
    ).id;
    const environmentId = (await one(db.insert(environments).values({ accountId, applicationId, name: "Production" }).returning())).id;
    return { accountId, applicationId, environmentId };
  });
  const names: string[] = [];
  const rows: (typeof domains.$inferInsert)[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    const hostname = kind === 2 ? `apex${i}.test` : `www${i}.bench.test`;
    if (kind < 2) dnsServer.set(hostname, [{ type: "CNAME", value: `${hostname}.edge.localhost` }]);
    else if (kind === 2) dnsServer.set(hostname, [{ type: "A", value: "192.0.2.10" }]);
    else dnsServer.set(hostname, [{ type: "CNAME", value: "elsewhere.example.net" }]);
    names.push(hostname);
    rows.push({
      accountId,
      applicationId,
      environmentId,
      hostname,
      hostnameUnicode: hostname,
      isApex: kind === 2,
      verificationToken: `t${i}`,
    });
  }
  const ids = await writeTransaction(async (tx) => {
    const inserted: number[] = [];
    for (const row of rows) inserted.push((await one(tx.insert(domains).values(row).returning({ id: domains.id }))).id);
    return inserted;
  });
  return { ids, names };
}

/** Puts every domain back to a never-checked state so each run does the same work (status changes + audit rows). */
async function resetDomains(): Promise<void> {
  await writeTransaction(async (tx) => {
    await tx.delete(dnsChecks);
    await tx.delete(auditEvents);
    await tx.update(domains).set({
      status: "pending",
      lastCheckedAt: null,
      lastSuccessAt: null,
      flagged: false,
      failureStreak: 0,
      nextCheckAt: null,
      leaseUntil: null,
    });
  });
}

/**
 * Benchmarks the go-live check: `domains` (default 1,000) checks through `checkDomains` at each concurrency
 * (default 1, 16, 64) against a DNS server on 127.0.0.1 and a temporary SQLite file, next to a floor of the same
 * number of bare `resolveCname` calls without the database. Restores the environment variables it changes.
 */
export async function benchDnsChecks(options: { domains?: number; concurrency?: number[] } = {}): Promise<DnsBenchRow[]> {
  const count = options.domains ?? 1000;
  const levels = options.concurrency ?? [1, 16, 64];
  const dnsServer = await startDnsServer();
  const env = {
    DNS_SERVERS: dnsServer.address,
    EDGE_CNAME_SUFFIX: "edge.localhost",
    EDGE_IPV4: "192.0.2.10",
    EDGE_IPV6: "",
    DNS_TIMEOUT_MS: "2000",
    DNS_TRIES: "2",
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedDataDir = process.env.DATA_DIR;
  Object.assign(process.env, env);
  const temp = makeTempDataDir("ec-bench-dns-");
  const rows: DnsBenchRow[] = [];
  try {
    const { ids, names } = await seed(dnsServer, count);
    const resolver = createResolver([dnsServer.address]);
    for (const concurrency of levels) {
      // Floor: the same number of resolutions, one CNAME query each, no database.
      dnsServer.clearQueries();
      const floorTimes: number[] = [];
      let next = 0;
      const stopFloor = rssSampler();
      const floorStart = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < names.length) {
            const name = names[next++];
            const t0 = performance.now();
            await resolver.resolveCname(name).catch(() => []);
            floorTimes.push(performance.now() - t0);
          }
        }),
      );
      rows.push(row("floor", concurrency, floorTimes, performance.now() - floorStart, stopFloor(), dnsServer.queries().length, ""));

      await resetDomains();
      dnsServer.clearQueries();
      const started = new Map<number, number>();
      const times: number[] = [];
      const outcomes = new Map<string, number>();
      const stop = rssSampler();
      const t0 = performance.now();
      await checkDomains(ids, {
        concurrency,
        resolver,
        onStart: (id) => started.set(id, performance.now()),
        onResult: (id, result) => {
          times.push(performance.now() - started.get(id)!);
          const key = result.skipped ?? result.status;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        },
      });
      const summary = [...outcomes].map(([k, v]) => `${k} ${v}`).join(" · ");
      rows.push(row("checkDomains", concurrency, times, performance.now() - t0, stop(), dnsServer.queries().length, summary));
    }
  } finally {
    temp.cleanup();
    await dnsServer.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (savedDataDir === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = savedDataDir;
    resetSettings();
  }
  return rows;
}

function row(
  kind: DnsBenchRow["kind"],
  concurrency: number,
  times: number[],
  wallMs: number,
  peakRssMiB: number,
  queries: number,
  outcomes: string,
): DnsBenchRow {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    kind,
    concurrency,
    checks: times.length,
    wallMs: Math.round(wallMs),
    perSecond: Math.round((times.length / wallMs) * 1000),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    peakRssMiB,
    queriesPerCheck: round(queries / Math.max(1, times.length)),
    outcomes,
  };
}
