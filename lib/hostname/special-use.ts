// Special-use domain names (RFC 6761 §3 and the IANA "Special-Use Domain Names" registry): names no public DNS can
// ever delegate, so a website's hostname under them could never point at the edge. `test` and `example` (RFC 2606,
// RFC 6761 §6.2, §6.5) and example.com/net/org stay allowed: they are meant for testing and documentation.

/** One special-use zone: the name (A-label, lower case) and why nothing under it can be a public website. */
type SpecialUseZone = { zone: string; why: string };

/** Most specific first: a name is judged by the first zone it equals or lies under. */
const SPECIAL_USE_ZONES: readonly SpecialUseZone[] = [
  { zone: "localhost", why: "always means the computer asking (RFC 6761 §6.3)" },
  { zone: "invalid", why: "is reserved never to exist (RFC 6761 §6.4)" },
  { zone: "local", why: "is resolved by devices among themselves on a local network with multicast DNS (RFC 6762 §3)" },
  { zone: "onion", why: "names Tor onion services, reachable only through Tor (RFC 7686)" },
  { zone: "alt", why: "is reserved for names outside the DNS (RFC 9476)" },
  { zone: "internal", why: "is reserved by ICANN for private networks and never delegated (SSAC SAC113, ICANN Board 2024)" },
  { zone: "home.arpa", why: "is reserved for home networks (RFC 8375)" },
  { zone: "in-addr.arpa", why: "holds reverse DNS for IPv4 addresses (RFC 1035 §3.5), not websites" },
  { zone: "ip6.arpa", why: "holds reverse DNS for IPv6 addresses (RFC 3596 §2.5), not websites" },
  { zone: "arpa", why: "is the internet's infrastructure domain (RFC 3172), not for websites" },
];

/** A special-use zone a hostname lies in, with the reason to show. */
export type SpecialUseName = { zone: string; why: string };

/**
 * The special-use zone `hostname` equals or lies under, or null: `localhost`, `invalid` (RFC 6761), `local`
 * (RFC 6762), `onion` (RFC 7686), `alt` (RFC 9476), `internal` (ICANN), `home.arpa` (RFC 8375), the reverse zones
 * `in-addr.arpa` / `ip6.arpa` and the rest of `arpa` (RFC 3172). `hostname` must be normalised (A-label form, lower
 * case, no trailing dot: see `checkHostnameSyntax`). `test`, `example` and example.com/net/org give null. Pure.
 */
export function specialUseName(hostname: string): SpecialUseName | null {
  const found = SPECIAL_USE_ZONES.find(({ zone }) => hostname === zone || hostname.endsWith(`.${zone}`));
  return found ? { zone: found.zone, why: found.why } : null;
}
