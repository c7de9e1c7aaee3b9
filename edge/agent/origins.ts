import { promises as dnsPromises } from "node:dns";
import net from "node:net";
import os from "node:os";
import ipaddr from "ipaddr.js";

// Origins are checked where they are used (docs/product.md §8, §3.3): the agent resolves origin hostnames itself
// through EDGE_DNS_SERVERS and refuses loopback, private, link-local, unspecified and multicast addresses unless the
// console allows private origins, the edge's own addresses always, and the node's own ports even when private
// origins are allowed.

/** What the node itself listens on: an origin may never be one of these (address + port). */
export type OwnEndpoints = {
  /** Public ports on the bind address (null bind address = every local address). */
  bindAddress: string | null;
  publicPorts: number[];
  /** Loopback listeners of the agent (varnish, varnish admin, last hops, modules): any 127/8 address counts. */
  internalPorts: () => ReadonlySet<number>;
};

/** The verdict for one origin: addresses to send to, or why it is refused (for `X-Edge-Status: origin-refused`). */
export type OriginResolution = { ok: true; addresses: string[] } | { ok: false; reason: string };

const PUBLIC_RANGES = new Set(["unicast"]);

/** True when `address` is outside loopback, private (RFC 1918, ULA), link-local, unspecified, multicast and the like. */
export function isPublicAddress(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return PUBLIC_RANGES.has(parsed.range());
}

function isLocalBind(address: string, own: OwnEndpoints): boolean {
  if (own.bindAddress === null) {
    // Bound to every address: the node's own interface addresses, loopback and unspecified all reach it.
    const range = ipaddr.parse(address).range();
    if (range === "loopback" || range === "unspecified") return true;
    return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((i) => ipaddr.process(i.address).toString() === address));
  }
  const bind = ipaddr.process(own.bindAddress);
  return bind.range() === "unspecified" || bind.toString() === address;
}

/**
 * Judges one resolved origin address and port. Returns null when usable, else the reason.
 * `allowPrivate` and `edgeAddresses` come from the desired state's settings.
 */
export function refuseOriginAddress(
  address: string,
  port: number,
  opts: { allowPrivate: boolean; edgeAddresses: readonly string[]; own: OwnEndpoints },
): string | null {
  if (!net.isIP(address)) return `${address} is not an IP address`;
  const norm = ipaddr.process(address).toString();
  const range = ipaddr.process(address).range();
  // The node's own ports, always (docs/product.md §8), even with private origins allowed. A connection to the
  // unspecified address (0.0.0.0, ::) goes to this host's loopback, so it reaches the internal listeners too.
  const reachesLoopback = range === "loopback" || range === "unspecified";
  if (reachesLoopback && opts.own.internalPorts().has(port)) return `${address}:${port} is one of this node's internal ports`;
  if (opts.own.publicPorts.includes(port) && (range === "loopback" || isLocalBind(norm, opts.own))) {
    return `${address}:${port} is this node's own public port`;
  }
  if (opts.edgeAddresses.some((e) => net.isIP(e) && ipaddr.process(e).toString() === norm))
    return `${address} is an address of the edge itself`;
  if (!opts.allowPrivate && !isPublicAddress(norm)) return `${address} is a ${range} address (private origins are not allowed)`;
  return null;
}

/** Default port of an origin by protocol (80 for http, 443 for https). */
export function originPort(origin: { protocol?: "http" | "https"; port?: number }): number {
  return origin.port ?? (origin.protocol === "https" ? 443 : 80);
}

/**
 * Resolves origin hostnames through given DNS servers (or the system's when empty) and caches the answers for
 * `ttlSeconds` (re-resolved after that; docs/product.md §8). IP literals are returned as they are.
 */
export class OriginResolver {
  private resolver: dnsPromises.Resolver;
  private cache = new Map<string, { at: number; result: { ok: true; addresses: string[] } | { ok: false; reason: string } }>();

  constructor(
    dnsServers: readonly string[],
    private readonly ttlSeconds = 60,
  ) {
    this.resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 2 });
    if (dnsServers.length) this.resolver.setServers([...dnsServers]);
  }

  /** Addresses of `host` (A, then AAAA), or the DNS error as a reason. Cached for the TTL given to the constructor. */
  async lookup(host: string): Promise<{ ok: true; addresses: string[] } | { ok: false; reason: string }> {
    if (net.isIP(host)) return { ok: true, addresses: [host] };
    const hit = this.cache.get(host);
    if (hit && Date.now() - hit.at < this.ttlSeconds * 1000) return hit.result;
    const addresses: string[] = [];
    let error = "";
    for (const fn of [() => this.resolver.resolve4(host), () => this.resolver.resolve6(host)]) {
      try {
        addresses.push(...(await fn()));
      } catch (e) {
        error = (e as NodeJS.ErrnoException).code ?? String(e);
      }
    }
    const result = addresses.length
      ? ({ ok: true, addresses } as const)
      : ({ ok: false, reason: `${host} does not resolve (${error || "no address"})` } as const);
    this.cache.set(host, { at: Date.now(), result });
    return result;
  }

  /** Forgets cached answers (the next lookup asks DNS again). */
  clear(): void {
    this.cache.clear();
  }
}

/**
 * Resolves one origin and applies the origin rules to every address: refused when any address is refused
 * (a name that points at the node itself among others is refused whole), or when the name does not resolve.
 */
export async function resolveOrigin(
  resolver: OriginResolver,
  origin: { address: string; protocol?: "http" | "https"; port?: number },
  opts: { allowPrivate: boolean; edgeAddresses: readonly string[]; own: OwnEndpoints },
): Promise<OriginResolution> {
  const found = await resolver.lookup(origin.address);
  if (!found.ok) return found;
  const port = originPort(origin);
  for (const a of found.addresses) {
    const reason = refuseOriginAddress(a, port, opts);
    if (reason) return { ok: false, reason: origin.address === a ? reason : `${origin.address} → ${reason}` };
  }
  return { ok: true, addresses: found.addresses };
}
