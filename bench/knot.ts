import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dns from "node:dns";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Debian's Knot DNS (`apt-get install -y knot`) as a fast authoritative server on loopback for benchmarks: one zone
// generated from a record list, served by a knotd started with its own config in a temporary folder.

/** One resource record of the zone: an owner name relative to the zone (or `@`), a type and its value. */
export type ZoneRecord = { name: string; type: "A" | "AAAA" | "CNAME" | "TXT"; value: string };

/**
 * A running knotd (`pid`: its process); `close()` stops it (SIGTERM, then SIGKILL after 2 s) and removes its folder.
 * `addresses`: every `127.0.0.1:<port>` it answers on (`address` first); `controlSocket`: its knotc socket, for
 * changes while it runs (`knotc -s <socket> zone-begin …`).
 */
export type KnotServer = {
  address: string;
  addresses: string[];
  zone: string;
  pid: number;
  controlSocket: string;
  close: () => Promise<void>;
};

/** The path of `knotd` when installed (`/usr/sbin/knotd`), else null. */
export function findKnotd(): string | null {
  for (const candidate of ["/usr/sbin/knotd", "/usr/bin/knotd"]) if (fs.existsSync(candidate)) return candidate;
  const which = spawnSync("sh", ["-c", "command -v knotd"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

/**
 * Starts knotd on `127.0.0.1:<port>` (UDP and TCP; also on each of `extraPorts`) serving `zone` with `records`
 * (TTL 300; wildcard owners such as `*.away` allowed) and resolves once it answers the zone's SOA. Rejects when knotd
 * is missing, exits early, or does not answer within 10 s.
 */
export async function startKnot(params: { port: number; extraPorts?: number[]; zone: string; records: ZoneRecord[] }): Promise<KnotServer> {
  const knotd = findKnotd();
  if (!knotd) throw new Error("knotd not found: apt-get install -y knot");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-knot-"));
  const zone = params.zone.replace(/\.$/, "");
  const lines = [
    `$ORIGIN ${zone}.`,
    "$TTL 300",
    `@ SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 300`,
    `@ NS ns.${zone}.`,
    "ns A 127.0.0.1",
    ...params.records.map((r) => `${r.name} ${r.type} ${r.type === "TXT" ? JSON.stringify(r.value) : r.value}`),
  ];
  fs.writeFileSync(path.join(dir, `${zone}.zone`), `${lines.join("\n")}\n`);
  fs.writeFileSync(
    path.join(dir, "knot.conf"),
    [
      "server:",
      `    rundir: "${dir}"`,
      `    listen: [ ${[params.port, ...(params.extraPorts ?? [])].map((p) => `127.0.0.1@${p}`).join(", ")} ]`,
      "database:",
      `    storage: "${dir}"`,
      "log:",
      "  - target: stderr",
      "    any: error",
      "template:",
      "  - id: default",
      `    storage: "${dir}"`,
      '    file: "%s.zone"',
      "    zonefile-sync: -1",
      "    journal-content: none",
      "zone:",
      `  - domain: ${zone}`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(knotd, ["-c", path.join(dir, "knot.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  let exited = false;
  child.on("exit", () => (exited = true));
  const address = `127.0.0.1:${params.port}`;
  const close = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const resolver = new dns.promises.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([address]);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      await resolver.resolveSoa(zone);
      const addresses = [params.port, ...(params.extraPorts ?? [])].map((p) => `127.0.0.1:${p}`);
      return { address, addresses, zone, pid: child.pid!, controlSocket: path.join(dir, "knot.sock"), close };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await close();
  throw new Error(`knotd did not start on ${address}: ${stderr.trim() || "no answer"}`);
}
