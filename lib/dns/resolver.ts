import { promises as dns } from "node:dns";
import net from "node:net";
import { settings } from "@/lib/config";

/** node's promise-based DNS resolver (c-ares): what the go-live check and the origin prefill query through. */
export type Resolver = dns.Resolver;

/** Resolvers created with the system's servers (so `describeResolver` can say so). */
const systemResolvers = new WeakSet<Resolver>();

/**
 * Checks one `DNS_SERVERS` entry: an IPv4 address, an IPv6 address, `ipv4:port` or `[ipv6]:port`. Hostnames are
 * not accepted (a resolver must be reachable without DNS). Returns the entry trimmed, or throws an Error naming it.
 */
export function parseDnsServer(entry: string): string {
  const value = entry.trim();
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(value);
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(value);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : v4 ? [v4[1], v4[2]] : [value, undefined];
  const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (!net.isIP(host) || !portOk) {
    throw new Error(`DNS_SERVERS: "${entry}" is not an IP address with an optional port (e.g. 127.0.0.1:5353)`);
  }
  return value;
}

/**
 * Creates a resolver for go-live checks (docs/product.md §3.5, §6): node's `dns.promises.Resolver` with the settings' per-try
 * `timeout` (ms) and `tries`, talking to `servers` (`host`, `host:port`, `[v6]:port`; default `DNS_SERVERS`).
 * An empty list keeps the system's resolvers (`/etc/resolv.conf`) — never use that in tests. Node's resolver does
 * not cache answers, so a long-lived one sees record changes at once. Throws an Error for a malformed server entry.
 */
export function createResolver(servers: string[] = settings().dnsServers, options: { timeoutMs?: number; tries?: number } = {}): Resolver {
  const resolver = new dns.Resolver({
    timeout: options.timeoutMs ?? settings().dnsTimeoutMs,
    tries: options.tries ?? settings().dnsTries,
  });
  if (servers.length > 0) resolver.setServers(servers.map(parseDnsServer));
  else systemResolvers.add(resolver);
  return resolver;
}

/**
 * Names the resolver for the `dns_checks.resolver` column: its servers joined by `,` (`127.0.0.1:5353`), or
 * `system (10.0.0.53)` for one using the system's servers. Default: a resolver built from the settings.
 */
export function describeResolver(resolver: Resolver = createResolver()): string {
  const servers = resolver.getServers().join(",");
  return systemResolvers.has(resolver) ? `system (${servers || "none"})` : servers;
}

/** Lower-cases a DNS name and drops trailing dots, the form names are compared and stored in (docs/product.md §3.5). */
export function canonicalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, "");
}

/** The `code` of an error thrown by node's resolver (`ENOTFOUND`, `ENODATA`, `ESERVFAIL`, `ETIMEOUT`…), or `EUNKNOWN`. */
export function dnsErrorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EUNKNOWN";
}

/** Most CNAME hops followed from a hostname (docs/product.md §3.5). */
export const MAX_CNAME_HOPS = 8;

/**
 * The CNAME chain starting at `hostname` (RFC 1034 §3.6.2), asked hop by hop with CNAME queries so any resolver
 * works (recursive or authoritative). `chain` holds the names after the start, canonical; `final` is the last name.
 * `end`: `ok` (the last name has no CNAME), `nxdomain` (the start does not exist), `dangling` (a later name does
 * not exist), `loop` (a name came back: returned at once, the repeated name last in `chain`), `too-long` (more than
 * 8 hops), `stopped` (reached a name in `stopAt`), `error` (SERVFAIL, REFUSED, timeout…: `errorCode`, `errorName`).
 */
export async function followCnameChain(
  hostname: string,
  resolver: Resolver,
  stopAt: string[] = [],
): Promise<{
  chain: string[];
  final: string;
  end: "ok" | "nxdomain" | "dangling" | "loop" | "too-long" | "stopped" | "error";
  errorCode: string | null;
  errorName: string | null;
}> {
  const start = canonicalName(hostname);
  const stops = new Set(stopAt.map(canonicalName));
  const chain: string[] = [];
  const seen = new Set([start]);
  let name = start;
  for (;;) {
    let targets: string[];
    try {
      targets = await resolver.resolveCname(name);
    } catch (error) {
      const code = dnsErrorCode(error);
      if (code === "ENODATA") return { chain, final: name, end: "ok", errorCode: null, errorName: null };
      if (code === "ENOTFOUND") {
        return { chain, final: name, end: name === start ? "nxdomain" : "dangling", errorCode: null, errorName: null };
      }
      return { chain, final: name, end: "error", errorCode: code, errorName: name };
    }
    if (targets.length === 0) return { chain, final: name, end: "ok", errorCode: null, errorName: null };
    const next = canonicalName(targets[0]);
    if (chain.length === MAX_CNAME_HOPS) return { chain, final: name, end: "too-long", errorCode: null, errorName: null };
    chain.push(next);
    if (seen.has(next)) return { chain, final: next, end: "loop", errorCode: null, errorName: null };
    seen.add(next);
    name = next;
    if (stops.has(next)) return { chain, final: next, end: "stopped", errorCode: null, errorName: null };
  }
}

/**
 * The IPv4 addresses `hostname` resolves to after following its CNAME chain, to prefill the wizard's origin
 * (docs/product.md §3.3 step 2), through `resolver` (default: the configured one). Returns [] on NXDOMAIN, NODATA, a dangling
 * or looping chain, and on any resolver error (SERVFAIL, REFUSED, timeout) — never throws for DNS reasons.
 */
export async function lookupOriginAddresses(hostname: string, resolver: Resolver = createResolver()): Promise<string[]> {
  const walk = await followCnameChain(hostname, resolver);
  if (walk.end !== "ok") return [];
  try {
    return [...new Set(await resolver.resolve4(walk.final))];
  } catch {
    return [];
  }
}
