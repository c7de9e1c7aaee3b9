import { isIP } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { parseIp, readNonCanonicalIpv4, refuseAddress, type Ipv4Reading } from "./address";

/**
 * The settings an origin is judged with (docs/product.md "Create application" step 2); `originPolicy` in ./index
 * fills them from `settings()`.
 */
export type OriginPolicy = {
  /** Accept loopback, private, ULA, link-local, unspecified, multicast, CGNAT and broadcast addresses (`ALLOW_PRIVATE_ORIGINS`). */
  allowPrivate: boolean;
  /** The edge's own addresses (`EDGE_IPV4`, `EDGE_IPV6`): always refused. */
  edgeIpv4: string[];
  edgeIpv6: string[];
  /** Suffix of the edge's CNAME targets (`EDGE_CNAME_SUFFIX`): names under it are always refused. */
  edgeCnameSuffix: string;
};

/** The hint that ends a message about a wrong origin address. */
export const ENTER_ADDRESS = "Enter your server's IP address or hostname, e.g. 203.0.113.7 or origin.example.com.";

/** `host` trimmed and without IPv6 brackets. */
const bareHost = (host: string) => host.trim().replace(/^\[(.*)\]$/, "$1");

/**
 * The IP address an origin host stands for, or `null` for a name: an IP literal (see `parseIp`; brackets allowed),
 * or a numeric IPv4 form that WHATWG host parsing (and inet_aton(3)) reads as an address, e.g. `0x7f.1` or
 * `2130706433` → 127.0.0.1, `127.0.0.1.` → 127.0.0.1 (such forms are refused by {@link refuseOriginHost}; this says
 * what they mean). Pure; never throws.
 */
export function originIp(host: string): ReturnType<typeof parseIp> {
  const bare = bareHost(host);
  const direct = parseIp(bare);
  if (direct || isIP(bare)) return direct;
  const numeric = domainToASCII(bare.toLowerCase());
  return numeric && isIP(numeric) === 4 ? parseIp(numeric) : null;
}

/**
 * Why the edge must not use `host` (an origin's address: IP literal or hostname, as typed in the wizard or written in
 * `section.config.json`) as an origin, as a user-facing sentence, or `null` when it may (docs/product.md "Create
 * application" step 2, "Repository per application"). Always refused: the edge's own addresses and names equal to or
 * under `edgeCnameSuffix`. Unless `allowPrivate`: loopback, private (RFC 1918), ULA, link-local, unspecified,
 * multicast, CGNAT and broadcast addresses (ipaddr.js ranges; IPv4-mapped IPv6 and numeric IPv4 forms judged as the
 * IPv4 address they are) and the loopback names `localhost` / `*.localhost` (RFC 6761 §6.3). An IPv4 address in any
 * form but four decimal numbers without leading zeros (`10.1.1`, `167772161`, `010.0.0.1`, `0x7f.1`, `8.8.8.8.`,
 * `[8.8.8.8]`: {@link readNonCanonicalIpv4}) is refused with the canonical form to write, since a check reading a name
 * could then connect to an address: the refusal of the address it means comes first when there is one. An IPv6 literal
 * with a zone (`fe80::1%eth0`) is refused. The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are
 * allowed, except the edge's own addresses. Names are not resolved (no DNS) and their syntax is not checked here. Pure;
 * never throws.
 */
export function refuseOriginHost(host: string, policy: OriginPolicy): string | null {
  const bare = bareHost(host);
  const ip = originIp(bare);
  const refused = ip && refuseAddress(ip, bare, policy);
  if (refused) return refused;
  const reading = readNonCanonicalIpv4(host.trim());
  if (reading) return nonCanonicalIpv4Message(host.trim(), reading, policy);
  if (ip) return null;
  if (isIP(bare)) return `${bare} is not a usable IP address. ${ENTER_ADDRESS}`;

  const lower = bare.toLowerCase();
  const name = (domainToASCII(lower) || lower).replace(/\.$/, "");
  const shown = domainToUnicode(name) || name;
  const suffix = policy.edgeCnameSuffix;
  if (suffix && (name === suffix || name.endsWith(`.${suffix}`))) {
    return `${shown} is the edge itself; point the origin at your own server.`;
  }
  if (!policy.allowPrivate && (name === "localhost" || name.endsWith(".localhost"))) {
    return `${shown} is a loopback name (RFC 6761); the edge cannot reach it. Enter your server's public IP address or hostname.`;
  }
  return null;
}

/**
 * The refusal of an IPv4 address written in a non-canonical form (`typed`), naming what it means and the form to
 * write, e.g. `“10.1.1” means 10.1.0.1 to most software: write 10.1.0.1.`; a reading that `policy` refuses is never
 * proposed, and when the only reading is refused, that refusal is the message. Pure.
 */
function nonCanonicalIpv4Message(typed: string, reading: Ipv4Reading, policy: OriginPolicy): string {
  const { common, decimal } = reading;
  if (!common && decimal) {
    const refused = refuseAddress(decimal, typed, policy);
    if (refused) return refused;
  }
  const usable = [common, decimal]
    .filter((ip): ip is NonNullable<Ipv4Reading["common"]> => ip !== null && refuseAddress(ip, typed, policy) === null)
    .map((ip) => ip.toString());
  const write = [...new Set(usable)];
  const advice = write.length ? `write ${write.join(" or ")}` : "write the address as four numbers from 0 to 255 without leading zeros";
  if (common && decimal && common.toString() !== decimal.toString()) {
    return `“${typed}” means ${common.toString()} to most software but ${decimal.toString()} to some (a leading 0 is octal to one, decimal to the other): ${advice}.`;
  }
  if (common) return `“${typed}” means ${common.toString()} to most software: ${advice}.`;
  return `“${typed}” is no IP address to most software but ${String(decimal)} to some (a leading 0 makes a number octal): ${advice}.`;
}
