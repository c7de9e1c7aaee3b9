import { haproxyCommand } from "./runtime";

// HAProxy's per-environment counters (docs/traffic.md "Counters"): every request of an environment passes its
// `backend chain_e<id>` (the ACME answer, the HTTPS redirect and the ip_blacklist refusal included, see
// edge/haproxy/render.ts), whose BACKEND row of `show stat` counts the responses by status class and the bytes both
// ways. Each HAProxy worker has its own counters, starting at zero; after a reload the old worker lives on while it
// finishes its requests. The master CLI lists the workers (`show proc`) and runs a command on one of them
// (`@!<pid> show stat`) — HAProxy 2.6 management guide, "Master CLI" and "show stat".

/** One environment's cumulative counters in one worker (since that worker started). */
export type ChainTotals = {
  /** Responses of every status (hrsp_1xx … hrsp_5xx and hrsp_other): the environment's answered requests. */
  responses: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  /** Bytes received from clients (`bin`, request headers and bodies). */
  bytesIn: number;
  /** Bytes sent to clients (`bout`, response headers and bodies). */
  bytesOut: number;
};

/** One running HAProxy worker and its counters per environment id. */
export type WorkerCounters = {
  pid: number;
  /** When the worker started, epoch ms (from `show proc`'s uptime, to the second). */
  startedAt: number;
  /** True for the current worker, false for an old one still finishing its requests after a reload. */
  current: boolean;
  /** When the counters were asked for, epoch ms: requests that ended before are in them. */
  readAt: number;
  /**
   * Sessions open on the public front (`scur`), or null when unknown. An old worker with none left answers nothing
   * more: its counters are final.
   */
  publicSessions: number | null;
  chains: Map<number, ChainTotals>;
};

/** The fields of a ChainTotals, for loops. */
export const CHAIN_FIELDS = ["responses", "status2xx", "status3xx", "status4xx", "status5xx", "bytesIn", "bytesOut"] as const;

/** A ChainTotals of zeros. */
export function zeroTotals(): ChainTotals {
  return { responses: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, bytesIn: 0, bytesOut: 0 };
}

/**
 * Parses the CSV of `show stat` (its first line names the columns, `# pxname,svname,…`) in one pass: the totals of
 * every `chain_e<id>` BACKEND row keyed by environment id, and the public front's current sessions (`scur` of its
 * FRONTEND row; null when absent). Other proxies (origins, last hops) are skipped. Throws when the header lacks a
 * column it needs (a HAProxy that counts otherwise).
 */
export function parseShowStat(csv: string): { chains: Map<number, ChainTotals>; publicSessions: number | null } {
  const lines = csv.split("\n").filter((l) => l.trim());
  const chains = new Map<number, ChainTotals>();
  let sessions: number | null = null;
  const header = lines.find((l) => l.startsWith("# "));
  if (!header) return { chains, publicSessions: null };
  const cols = header.slice(2).split(",");
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`show stat has no ${name} column`);
    return i;
  };
  const ix = {
    px: at("pxname"),
    sv: at("svname"),
    scur: at("scur"),
    bin: at("bin"),
    bout: at("bout"),
    h1: at("hrsp_1xx"),
    h2: at("hrsp_2xx"),
    h3: at("hrsp_3xx"),
    h4: at("hrsp_4xx"),
    h5: at("hrsp_5xx"),
    ho: at("hrsp_other"),
  };
  for (const line of lines) {
    if (line.startsWith("#")) continue;
    const f = line.split(",");
    const n = (i: number) => Number(f[i]) || 0;
    if (f[ix.sv] === "FRONTEND" && f[ix.px] === "public") sessions = n(ix.scur);
    if (f[ix.sv] !== "BACKEND") continue;
    const m = /^chain_e([1-9][0-9]{0,11})$/.exec(f[ix.px] ?? "");
    if (!m) continue;
    chains.set(Number(m[1]), {
      responses: n(ix.h1) + n(ix.h2) + n(ix.h3) + n(ix.h4) + n(ix.h5) + n(ix.ho),
      status2xx: n(ix.h2),
      status3xx: n(ix.h3),
      status4xx: n(ix.h4),
      status5xx: n(ix.h5),
      bytesIn: n(ix.bin),
      bytesOut: n(ix.bout),
    });
  }
  return { chains, publicSessions: sessions };
}

/**
 * Parses the master CLI's `show proc`: the workers (current, then old ones under `# old workers`) with their pid and
 * uptime in seconds (`0d00h00m05s`). The master and external programs are left out.
 */
export function parseShowProc(text: string): { pid: number; uptimeSeconds: number; current: boolean }[] {
  const out: { pid: number; uptimeSeconds: number; current: boolean }[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) {
      section = line.trim();
      continue;
    }
    const f = line.trim().split(/\s+/);
    if (f[1] !== "worker" || !/^[0-9]+$/.test(f[0])) continue;
    const up = f.find((x) => /^[0-9]+d[0-9]{2}h[0-9]{2}m[0-9]{2}s$/.test(x));
    const m = up ? /^([0-9]+)d([0-9]{2})h([0-9]{2})m([0-9]{2})s$/.exec(up) : null;
    const uptimeSeconds = m ? Number(m[1]) * 86_400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]) : 0;
    out.push({ pid: Number(f[0]), uptimeSeconds, current: section !== "# old workers" });
  }
  return out;
}

/**
 * Reads every worker's chain counters through the master CLI socket (`show proc`, then `@!<pid> show stat -1 3 -1`,
 * frontends and backends). A worker that exits between the two commands is left out. Rejects when the master does
 * not answer.
 */
export async function readWorkerCounters(masterSocket: string, now = Date.now()): Promise<WorkerCounters[]> {
  const workers = parseShowProc(await haproxyCommand(masterSocket, "show proc", 5000));
  const out: WorkerCounters[] = [];
  for (const w of workers) {
    let csv: string;
    const readAt = Date.now();
    try {
      csv = await haproxyCommand(masterSocket, `@!${w.pid} show stat -1 3 -1`, 5000);
    } catch {
      continue;
    }
    if (!csv.includes("# pxname")) continue; // gone meanwhile: the master answers with an error line
    out.push({ pid: w.pid, startedAt: now - w.uptimeSeconds * 1000, current: w.current, readAt, ...parseShowStat(csv) });
  }
  return out;
}
