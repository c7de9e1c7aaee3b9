import { isIP } from "node:net";
import { settings } from "@/lib/config";
import { checkHostnameSyntax } from "@/lib/hostname";
import { ENTER_ADDRESS, originIp, refuseOriginHost, type OriginPolicy } from "./host";

export { describeAddressRange } from "./address";
export { refuseOriginHost, type OriginPolicy } from "./host";

/** What the origin form (wizard step 2, API) sends. `port` may be a number (API) or text (form). */
export type OriginInput = { address: string; protocol?: string; port?: string | number; hostHeader?: string };

/**
 * An origin as stored in an environment block of `section.config.json` (docs/product.md "Repository per
 * application").
 */
export type Origin = { address: string; protocol: "http" | "https"; port: number; host_header?: string };

/** A valid origin, or one user-facing message per form field that is wrong. */
export type OriginResult =
  { ok: true; origin: Origin } | { ok: false; fieldErrors: Partial<Record<"address" | "protocol" | "port" | "hostHeader", string>> };

/** Overrides of the settings `parseOrigin` reads (tests, or a caller that already holds them). */
export type OriginOptions = {
  /** Accept loopback, private, ULA, link-local, unspecified, multicast, CGNAT and broadcast addresses. Default `settings().allowPrivateOrigins`. */
  allowPrivate?: boolean;
  /** The edge's own addresses, always refused. Default `settings().edgeIpv4` / `settings().edgeIpv6`. */
  edgeIpv4?: string[];
  edgeIpv6?: string[];
  /** Names under this suffix are the edge's CNAME targets, always refused. Default `settings().edgeCnameSuffix`. */
  edgeCnameSuffix?: string;
};

const DEFAULT_PORT = { http: 80, https: 443 } as const;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The settings origins are judged with (docs/product.md "Create application" step 2): each override, else `settings()`
 * (`ALLOW_PRIVATE_ORIGINS`, `EDGE_IPV4`, `EDGE_IPV6`, `EDGE_CNAME_SUFFIX`). Shared by the wizard (`parseOrigin`) and
 * the `section.config.json` validator so both refuse the same origins.
 */
export function originPolicy(overrides: OriginOptions = {}): OriginPolicy {
  return {
    allowPrivate: overrides.allowPrivate ?? settings().allowPrivateOrigins,
    edgeIpv4: overrides.edgeIpv4 ?? settings().edgeIpv4,
    edgeIpv6: overrides.edgeIpv6 ?? settings().edgeIpv6,
    edgeCnameSuffix: overrides.edgeCnameSuffix ?? settings().edgeCnameSuffix,
  };
}

/**
 * Validates the origin of an application (docs/product.md "Create application" step 2, "Repository per
 * application"): the server the edge forwards traffic to.
 * - `address`: an IP address (IPv4 dotted decimal, IPv6 with or without brackets; stored in canonical form, an
 *   IPv4-mapped IPv6 address as its IPv4) or a hostname (label and length rules of `checkHostnameSyntax`; the Public
 *   Suffix List does not matter; stored in A-label form). Also accepted: `host:port`, `[v6]:port`, and a URL
 *   `http(s)://host[:port][/]`, whose scheme and port (explicit, else the scheme's default) take the place of
 *   `protocol` and `port`. Refused always: the edge's own addresses (`edgeIpv4`/`edgeIpv6`) and names under
 *   `edgeCnameSuffix`; unless `allowPrivate`: loopback (also `localhost` names, RFC 6761), private (RFC 1918), ULA
 *   (fc00::/7), link-local, unspecified, multicast, CGNAT (100.64.0.0/10) and broadcast addresses, judged with
 *   ipaddr.js ranges (an IPv4-mapped IPv6 address as its IPv4). Documentation ranges (192.0.2.0/24…) are allowed.
 *   IPv4 only in four decimal numbers without leading zeros: other forms WHATWG URL and inet_aton(3) read as an
 *   address (`10.1.1`, `167772161`, `010.0.0.1`, `0x7f.1`, `8.8.8.8.`, `[8.8.8.8]`, also inside a pasted URL) are
 *   refused with the canonical form to write (lib/origin/host `refuseOriginHost`).
 * - `protocol`: `http` or `https` (any case); default `https`.
 * - `port`: an integer 1–65535; default 443 for https, 80 for http.
 * - `hostHeader`: optional; a hostname, optionally with `:port`; blank = none.
 * Pure (no DNS: a hostname is not resolved here); never throws.
 */
export function parseOrigin(input: OriginInput, opts: OriginOptions = {}): OriginResult {
  const config = originPolicy(opts);
  const fieldErrors: Extract<OriginResult, { ok: false }>["fieldErrors"] = {};

  const split = splitAddress(input.address ?? "");
  let address: string | undefined;
  if ("error" in split) fieldErrors.address = split.error;
  else {
    const checked = checkHost(split.host, config);
    if ("error" in checked) fieldErrors.address = checked.error;
    else address = checked.address;
  }
  const fromUrl: { protocol?: "http" | "https"; port?: number } = "error" in split ? {} : split;

  const protocol = fromUrl.protocol ?? parseProtocol(input.protocol);
  if (!protocol) fieldErrors.protocol = "Choose http or https.";
  const port = fromUrl.port ?? parsePort(input.port, protocol ?? "https");
  if (port === null) fieldErrors.port = "Enter a port number from 1 to 65535 (443 for https, 80 for http).";
  const hostHeader = parseHostHeader(input.hostHeader);
  if (hostHeader && "error" in hostHeader) fieldErrors.hostHeader = hostHeader.error;

  if (address === undefined || !protocol || port === null || (hostHeader && "error" in hostHeader)) {
    return { ok: false, fieldErrors };
  }
  const origin: Origin = { address, protocol, port };
  if (hostHeader) origin.host_header = hostHeader.value;
  return { ok: true, origin };
}

type Split = { host: string; protocol?: "http" | "https"; port?: number } | { error: string };

// Separates the host from a pasted URL, `host:port` or `[v6]:port`.
function splitAddress(raw: string): Split {
  const text = raw.trim();
  if (!text) return { error: ENTER_ADDRESS };
  if (SCHEME.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { error: `“${text}” is not a valid URL. ${ENTER_ADDRESS}` };
    }
    const protocol = url.protocol.slice(0, -1);
    if (protocol !== "http" && protocol !== "https") return { error: "The origin must use http:// or https://." };
    if (url.username || url.password) return { error: "Leave out the user name and password: enter only the address." };
    if (url.pathname !== "/" || url.search || url.hash) {
      return { error: "An origin is a server, not a page: leave out the path, e.g. http://203.0.113.7:8080." };
    }
    return { host: typedUrlHost(text) || url.hostname, protocol, port: url.port ? Number(url.port) : DEFAULT_PORT[protocol] };
  }
  if (isIP(text)) return { host: text };
  // Brackets stay on the host: only an IPv6 address may wear them (RFC 3986 §3.2.2), `[8.8.8.8]` is refused later.
  const withPort = /^(\[[^\]]*\])(?::(\d+))?$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (withPort) {
    if (withPort[2] === undefined) return { host: withPort[1] };
    const port = parsePort(withPort[2], "https");
    return port === null ? { error: "The port after the address must be a number from 1 to 65535." } : { host: withPort[1], port };
  }
  if (/[/?#@:\\\s]/.test(text)) return { error: `“${text}” is not an address or hostname. ${ENTER_ADDRESS}` };
  return { host: text };
}

/**
 * The host of a URL as typed (percent-decoded), not as WHATWG URL parsing rewrites it: `http://10.1.1/` gives
 * `10.1.1` where `URL.hostname` gives `10.1.0.1`, so the non-canonical form is judged, and refused, like a bare one.
 * Follows the URL Standard's split of a special URL's authority (§4.4): tabs and newlines removed, the authority
 * ending at `/`, `\`, `?` or `#`, credentials before the last `@`, the port after `:` (outside `[…]`). Null when
 * percent-decoding fails.
 */
function typedUrlHost(text: string): string | null {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/\\?#]*)/i.exec(text.replace(/[\t\n\r]/g, ""))?.[1] ?? "";
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const host = hostPort.startsWith("[") ? hostPort.slice(0, hostPort.indexOf("]") + 1) : hostPort.split(":")[0];
  try {
    return decodeURIComponent(host);
  } catch {
    return null;
  }
}

// The refusals are `refuseOriginHost`'s (the same the section.config.json validator applies); then the syntax.
function checkHost(host: string, config: OriginPolicy): { address: string } | { error: string } {
  const refusal = refuseOriginHost(host, config);
  if (refusal) return { error: refusal };
  const ip = originIp(host);
  if (ip) return { address: ip.toString() };
  // Only reached with allowPrivate (refuseOriginHost refuses it otherwise); a single label fails the syntax check.
  if (/^localhost\.?$/i.test(host)) return { address: "localhost" };
  const checked = checkHostnameSyntax(host);
  if (!checked.ok) {
    return { error: checked.code === "wildcard" ? `The origin must be one server, not a wildcard. ${ENTER_ADDRESS}` : checked.message };
  }
  return { address: checked.hostname };
}

function parseProtocol(value: string | undefined): "http" | "https" | null {
  const text = (value ?? "")
    .trim()
    .toLowerCase()
    .replace(/:(\/\/)?$/, "");
  if (!text) return "https";
  return text === "http" || text === "https" ? text : null;
}

function parsePort(value: string | number | undefined, protocol: "http" | "https"): number | null {
  if (value === undefined || (typeof value === "string" && !value.trim())) return DEFAULT_PORT[protocol];
  const port = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null;
}

function parseHostHeader(value: string | undefined): { value: string } | { error: string } | null {
  const text = (value ?? "").trim();
  if (!text) return null;
  const usage = "Enter the Host header as a hostname, optionally with a port, e.g. www.example.com or www.example.com:8080.";
  const match = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!match) return { error: usage };
  const port = match[2] === undefined ? null : parsePort(match[2], "https");
  if (match[2] !== undefined && port === null) return { error: `The port in the Host header must be from 1 to 65535. ${usage}` };
  const checked = checkHostnameSyntax(match[1]);
  if (!checked.ok) return { error: `${checked.message} ${usage}` };
  return { value: port === null ? checked.hostname : `${checked.hostname}:${port}` };
}
