import { isIP } from "node:net";
import { domainToASCII } from "node:url";
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
  // node's isIP is inet_pton(3)-strict: it refuses an embedded IPv4 part with leading zeros (`::ffff:010.0.0.1`)
  if (text.includes("%") || isIP(text) !== 6 || !ipaddr.IPv6.isValid(text)) return null;
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
 * addresses are refused unless `allowPrivate` (docs/product.md "Create application" step 2). `shown` is the text the user entered.
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

/** What software makes of text that is an IPv4 address to some of it but not in canonical dotted-decimal form. */
export type Ipv4Reading = {
  /** The address WHATWG URL host parsing and inet_aton(3) read, the way most software (browsers, curl, libc's
   * getaddrinfo(3)) connects: `10.1.1` → 10.1.0.1, `167772161` → 10.0.0.1, `0x7f.1` → 127.0.0.1, `010.0.0.1` →
   * 8.0.0.1 (a leading 0 means octal), `８.８.８.８` → 8.8.8.8. Null when they read no address (`08.8.8.8`). */
  common: ipaddr.IPv4 | null;
  /** The address software reading every part as decimal sees in four parts with leading zeros (`010.0.0.1` →
   * 10.0.0.1; older Go and Python did so); null when there are no such zeros. */
  decimal: ipaddr.IPv4 | null;
};

/**
 * How `text` (a host as typed; `[…]` brackets allowed) is read as an IPv4 address when it is not written in the one
 * form everyone reads alike, four decimal numbers 0–255 without leading zeros (RFC 3986 §3.2.2 `IPv4address`, what
 * inet_pton(3) accepts); null for that form, for IPv6 and for names no software reads as an address. Catches what
 * the WHATWG URL Standard's IPv4 parser (§3.5) and inet_aton(3) accept beyond it: one to three parts, octal and hex
 * parts, a trailing dot, full-width digits and ideographic dots (UTS-46 mapping), and IPv4 in brackets. Pure.
 */
export function readNonCanonicalIpv4(text: string): Ipv4Reading | null {
  const bracketed = /^\[(.*)\]$/.exec(text);
  const inner = bracketed ? bracketed[1] : text;
  if (ipaddr.IPv4.isValidFourPartDecimal(inner)) return bracketed ? { common: ipaddr.IPv4.parse(inner), decimal: null } : null;
  if (isIP(inner) === 6) return null;
  const ascii = domainToASCII(inner.toLowerCase());
  const common = isIP(ascii) === 4 ? ipaddr.IPv4.parse(ascii) : null;
  const parts = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.?$/.exec(inner)?.slice(1) ?? [];
  const decimal =
    parts.some((part) => /^0\d/.test(part)) && parts.every((part) => Number(part) <= 255)
      ? ipaddr.IPv4.parse(parts.map(Number).join("."))
      : null;
  return common || decimal ? { common, decimal } : null;
}
