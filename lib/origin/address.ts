import ipaddr from "ipaddr.js";

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

/** How a refused origin address is described: ipaddr.js range name → the words shown to the user. */
const REFUSED_RANGES: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private address (RFC 1918)",
  uniqueLocal: "a unique local address (ULA, fc00::/7)",
  linkLocal: "a link-local address",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  carrierGradeNat: "a carrier-grade NAT address (RFC 6598, 100.64.0.0/10)",
  broadcast: "the broadcast address",
};

/**
 * Parses an IP literal strictly: IPv4 only in four-part decimal (`203.0.113.7`, not `0x7f.1`), IPv6 in any RFC 4291
 * text form without a zone (`%eth0`); an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) becomes its IPv4 address.
 * Returns `null` for anything else. Pure.
 */
export function parseIp(text: string): Parsed | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes("%") || !ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/**
 * The ipaddr.js range name of an IP address, e.g. `"loopback"`, `"private"`, `"uniqueLocal"`, `"linkLocal"`,
 * `"carrierGradeNat"`, `"reserved"` (documentation ranges such as 192.0.2.0/24 are in it), `"unicast"`. An
 * IPv4-mapped IPv6 address gets its IPv4 address's range (it is judged as that address), not `"ipv4Mapped"`.
 * Returns `"invalid"` for text that is not an IP address (see `parseIp`). Pure; never throws.
 */
export function describeAddressRange(ip: string): string {
  return parseIp(ip.trim().replace(/^\[(.*)\]$/, "$1"))?.range() ?? "invalid";
}

/**
 * Why the edge must not use `ip` as an origin, as a user-facing sentence, or `null` when it may. The edge's own
 * addresses are always refused; loopback, RFC 1918, ULA, link-local, unspecified, multicast, CGNAT and broadcast
 * addresses are refused unless `allowPrivate` (SPEC §3.3 step 2). `shown` is the text the user entered.
 */
export function refuseAddress(
  ip: Parsed,
  shown: string,
  opts: { allowPrivate: boolean; edgeIpv4: string[]; edgeIpv6: string[] },
): string | null {
  const label = shown === ip.toString() ? shown : `${shown} (${ip.toString()})`;
  const edge = [...opts.edgeIpv4, ...opts.edgeIpv6].map(parseIp).filter((e): e is Parsed => e !== null);
  if (edge.some((e) => e.kind() === ip.kind() && e.toNormalizedString() === ip.toNormalizedString())) {
    return `${label} is the edge itself; point the origin at your own server.`;
  }
  const kind = REFUSED_RANGES[ip.range()];
  if (!kind || opts.allowPrivate) return null;
  return `${label} is ${kind}; the edge cannot reach it. Enter your server's public IP address or hostname.`;
}
