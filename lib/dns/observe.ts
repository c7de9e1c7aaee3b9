import { canonicalName, dnsErrorCode, followCnameChain, type Resolver } from "./resolver";

/**
 * What the resolver returned for a hostname, before any judgement (docs/product.md §3.5). Names are canonical (lower-case, no
 * trailing dot). `end` says how resolution ended:
 * - `ok`: the chain ended at `final`, whose A/AAAA are in `a`/`aaaa` (possibly empty: NODATA);
 * - `stopped`: the chain reached a name in `stopAt` (the CNAME target); its addresses were not asked;
 * - `nxdomain`: the hostname itself does not exist (NXDOMAIN, node's `ENOTFOUND`);
 * - `dangling`: a name of the chain does not exist; `loop`: a name came back; `too-long`: more than 8 hops;
 * - `error`: a transient failure (`errorCode` is node's code: `ESERVFAIL`, `EREFUSED`, `ETIMEOUT`,
 *   `ECONNREFUSED`, `ECANCELLED`…; `errorName` the name being asked).
 */
export type Observation = {
  hostname: string;
  /** Names after the hostname, in order; for a loop the repeated name is last. */
  chain: string[];
  /** The name whose addresses were asked (the hostname when it has no CNAME). */
  final: string;
  end: "ok" | "stopped" | "nxdomain" | "dangling" | "loop" | "too-long" | "error";
  a: string[];
  aaaa: string[];
  /** Smallest TTL (seconds) among the A/AAAA records found, null when none. */
  ttl: number | null;
  /** Strings of `TXT _edge-challenge.<hostname>` (each record's chunks joined). */
  txt: string[];
  /** Transient failure of the TXT lookup (`ESERVFAIL`…), null when it answered (NXDOMAIN/NODATA = no TXT). */
  txtErrorCode: string | null;
  errorCode: string | null;
  errorName: string | null;
};

/** Name holding the ownership token of `hostname` (docs/product.md §3.5). */
export function challengeName(hostname: string): string {
  return `_edge-challenge.${canonicalName(hostname)}`;
}

type Lookup<T> = { ok: true; values: T[] } | { ok: false; code: string };

async function lookup<T>(query: () => Promise<T[]>): Promise<Lookup<T>> {
  try {
    return { ok: true, values: await query() };
  } catch (error) {
    const code = dnsErrorCode(error);
    // NODATA: the name exists without this type. NXDOMAIN on a name already seen to exist is a race; the chain
    // walk decided existence, so both count as "no records" here.
    if (code === "ENODATA" || code === "ENOTFOUND") return { ok: true, values: [] };
    return { ok: false, code };
  }
}

/**
 * Observes `hostname` through `resolver`: follows its CNAME chain (at most 8 hops, loops detected), then asks A
 * and AAAA of the final name with TTLs, and TXT of `_edge-challenge.<hostname>` (in parallel with the chain).
 * `stopAt` (e.g. the CNAME target) ends the walk when reached, so the edge's own zone is never asked. Never throws
 * for DNS reasons: every resolver error becomes part of the `Observation` (RFC 1034 §3.6.2, RFC 2308, RFC 6604).
 */
export async function observe(hostname: string, resolver: Resolver, options: { stopAt?: string[] } = {}): Promise<Observation> {
  const start = canonicalName(hostname);
  const txtPromise = lookup(() => resolver.resolveTxt(challengeName(start)));
  const walk = await followCnameChain(start, resolver, options.stopAt);
  const base = { hostname: start, chain: walk.chain, final: walk.final, a: [], aaaa: [], ttl: null };
  const txt = await txtPromise;
  const txtPart = txt.ok ? { txt: txt.values.map((chunks) => chunks.join("")), txtErrorCode: null } : { txt: [], txtErrorCode: txt.code };
  if (walk.end !== "ok") {
    return { ...base, ...txtPart, end: walk.end, errorCode: walk.errorCode, errorName: walk.errorName };
  }
  const [a, aaaa] = await Promise.all([
    lookup(() => resolver.resolve4(walk.final, { ttl: true })),
    lookup(() => resolver.resolve6(walk.final, { ttl: true })),
  ]);
  const failed = !a.ok ? a : !aaaa.ok ? aaaa : null;
  if (failed && !failed.ok) {
    return { ...base, ...txtPart, end: "error", errorCode: failed.code, errorName: walk.final };
  }
  const records = [...(a.ok ? a.values : []), ...(aaaa.ok ? aaaa.values : [])];
  return {
    ...base,
    ...txtPart,
    end: "ok",
    a: [...new Set(a.ok ? a.values.map((r) => r.address) : [])],
    aaaa: [...new Set(aaaa.ok ? aaaa.values.map((r) => r.address.toLowerCase()) : [])],
    ttl: records.length ? Math.min(...records.map((r) => r.ttl)) : null,
    errorCode: null,
    errorName: null,
  };
}
