import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseShowStat, readWorkerCounters } from "@/edge/haproxy/counters";
import { haproxyCommand } from "@/edge/haproxy/runtime";
import { haveTool } from "@/edge/modules/tools";

// What reading HAProxy's per-environment counters costs the agent (docs/traffic.md "Counters"): a real HAProxy with
// `environments` chain backends and as many origin backends (a node's shape), read through the master CLI as the
// agent does every 5 s. The floor is the same `show stat` fetched through the same socket, not parsed.

export type CounterBenchRow = { measure: string; value: string; floor: string };

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

/** Runs `reads` counter reads of a HAProxy with `environments` environments; one row per measure. */
export async function benchHaproxyCounters({ environments = 1000, reads = 30 } = {}): Promise<CounterBenchRow[]> {
  if (!haveTool("haproxy")) return [{ measure: "skipped", value: "haproxy is not installed", floor: "" }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-counters-"));
  const lines = [
    "global",
    `  stats socket ${dir}/admin.sock mode 600 level admin`,
    "defaults",
    "  mode http",
    "  timeout connect 5s",
    "  timeout client 10s",
    "  timeout server 10s",
    "frontend public",
    `  bind unix@${dir}/public.sock`,
    "  default_backend chain_e1",
  ];
  for (let i = 1; i <= environments; i++)
    lines.push(
      `backend chain_e${i}`,
      "  server entry 127.0.0.1:9 disabled",
      `backend origin_e${i}_main`,
      "  server s0 127.0.0.1:9 disabled",
    );
  fs.writeFileSync(path.join(dir, "haproxy.cfg"), lines.join("\n") + "\n");
  const master = path.join(dir, "master.sock");
  const child = spawn("haproxy", ["-W", "-S", `${master},mode,600`, "-f", path.join(dir, "haproxy.cfg")], { stdio: "ignore" });
  try {
    for (let i = 0; i < 200 && !fs.existsSync(path.join(dir, "admin.sock")); i++) await new Promise((r) => setTimeout(r, 50));
    const [first] = await readWorkerCounters(master);
    if (first?.chains.size !== environments) throw new Error(`read ${first?.chains.size} environments, expected ${environments}`);
    const timed = async (fn: () => Promise<unknown>) => {
      const ms: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < reads; i++) {
        const t0 = performance.now();
        await fn();
        ms.push(performance.now() - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      ms.sort((a, b) => a - b);
      return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95), cpuMs: (cpu.user + cpu.system) / 1000 / reads };
    };
    const rss0 = process.memoryUsage().rss;
    const agent = await timed(() => readWorkerCounters(master));
    const csv = await haproxyCommand(master, `@!${first.pid} show stat -1 3 -1`);
    const floor = await timed(() => haproxyCommand(master, `@!${first.pid} show stat -1 3 -1`));
    const parse0 = performance.now();
    for (let i = 0; i < reads; i++) parseShowStat(csv);
    const parseMs = (performance.now() - parse0) / reads;
    const fmt = (t: { p50: number; p95: number; cpuMs: number }) =>
      `p50 ${t.p50.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms, ${t.cpuMs.toFixed(1)} ms CPU a read`;
    return [
      {
        measure: `one counter read (show proc + show stat + parse), ${environments} environments, ${(csv.length / 1024).toFixed(0)} KiB of CSV`,
        value: fmt(agent),
        floor: `the same show stat, unparsed: ${fmt(floor)}`,
      },
      { measure: "parsing that CSV alone", value: `${parseMs.toFixed(2)} ms`, floor: "—" },
      {
        measure: "agent CPU for counters, one read every 5 s",
        value: `${((agent.cpuMs / 5000) * 100).toFixed(2)} % of a core`,
        floor: "—",
      },
      {
        measure: "peak RSS of the bench process (node) after the reads",
        value: `${(process.memoryUsage().rss / 1048576).toFixed(0)} MB (+${((process.memoryUsage().rss - rss0) / 1048576).toFixed(1)} MB)`,
        floor: "—",
      },
    ];
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
