import { isIP } from "node:net";
import { settings } from "@/lib/config";
import { icannRegistrableDomain, publicSuffixSection } from "./psl";
import { specialUseName } from "./special-use";
import { checkHostnameSyntax, MAX_HOSTNAME_LENGTH, type HostnameError } from "./syntax";

export { registrableDomain } from "./psl";
export { specialUseName, type SpecialUseName } from "./special-use";
export {
  checkHostnameSyntax,
  MAX_HOSTNAME_LENGTH,
  MAX_LABEL_LENGTH,
  type HostnameError,
  type HostnameErrorCode,
  type HostnameSyntaxOk,
} from "./syntax";

/**
 * A normalised hostname or a typed refusal.
 * - `hostname`: the stored A-label form (lower-case, punycode, no trailing dot), e.g. `xn--bcher-kva.example`;
 * - `unicode`: the display form, e.g. `bücher.example` (equal to `hostname` for ASCII names);
 * - `apex` / `isApex`: the registrable domain under the ICANN section of the Public Suffix List, and whether the
 *   hostname is that domain itself (an apex cannot carry a CNAME record, docs/product.md "Domains and DNS go-live status");
 * - `notice`: set when the hostname was taken out of a pasted URL, saying so (and that a port or credentials were
 *   left out).
 */
export type HostnameResult =
  { ok: true; hostname: string; unicode: string; isApex: boolean; apex: string | null; notice?: string } | HostnameError;

/**
 * Normalises what a user typed or pasted as a website's hostname (docs/product.md "Hostname rules"). Trims; takes
 * the hostname out of a URL (anything with a scheme `xxx://`, a path, query, fragment, port or credentials, parsed
 * with WHATWG `URL`) and says so in `notice`; then applies `checkHostnameSyntax` (lower-case, one trailing dot
 * dropped, UTS-46 → A-labels, RFC 1035 label and length limits, at least two labels, no IP address, no wildcard);
 * refuses the edge's own domain `edgeCnameSuffix` and every name under it (`edge_domain`: those are the CNAME
 * targets of customers' domains, docs/product.md "Domains and DNS go-live status"); refuses a special-use name no
 * public DNS can ever delegate (`special_use`, `specialUseName`: `localhost`, `invalid` RFC 6761, `local` RFC 6762,
 * `onion` RFC 7686, `alt` RFC 9476, `internal`, `home.arpa` RFC 8375, `in-addr.arpa`, `ip6.arpa` and the rest of
 * `arpa` RFC 3172; `test`, `example` and example.com/net/org stay allowed for testing and documentation); refuses a
 * name whose CNAME target `<hostname>.<edgeCnameSuffix>` would exceed 253 characters; refuses a name that is itself
 * a public suffix in either section of the Public Suffix List (tldts, ICANN + private: `co.uk` → `public_suffix`,
 * `github.io` → `private_suffix`); and decides apex-ness with the ICANN section only. Pure (no DNS); never throws.
 * @param opts.edgeCnameSuffix suffix of CNAME targets; defaults to `settings().edgeCnameSuffix` (`EDGE_CNAME_SUFFIX`).
 * @returns `{ ok: true, hostname, unicode, isApex, apex, notice? }` or `{ ok: false, code, message }`, each refusal
 *   with its own `HostnameErrorCode`.
 */
export function normaliseHostname(input: string, opts: { edgeCnameSuffix?: string } = {}): HostnameResult {
  const trimmed = input.trim();
  const fromUrl = looksLikeUrl(trimmed) ? hostFromUrl(trimmed) : null;
  if (fromUrl && "ok" in fromUrl) return fromUrl;

  const checked = checkHostnameSyntax(fromUrl ? fromUrl.host : trimmed);
  if (!checked.ok) return checked;
  const { hostname, unicode } = checked;

  const suffix = opts.edgeCnameSuffix ?? settings().edgeCnameSuffix;
  if (suffix && (hostname === suffix || hostname.endsWith(`.${suffix}`))) {
    return {
      ok: false,
      code: "edge_domain",
      message: `“${unicode}” is under the edge's own domain (${suffix}), where the edge's CNAME targets live; use your website's hostname, e.g. www.example.com.`,
    };
  }
  const special = specialUseName(hostname);
  if (special) {
    const under = hostname === special.zone ? `“${unicode}”` : `“${unicode}” is under “${special.zone}”, which`;
    return {
      ok: false,
      code: "special_use",
      message: `${under} ${special.why}: it can never be registered in the public DNS or point at the edge. Enter your website's public hostname, e.g. www.example.com.`,
    };
  }
  const target = cnameTarget(hostname, suffix);
  if (target.length > MAX_HOSTNAME_LENGTH) {
    const room = MAX_HOSTNAME_LENGTH - suffix.length - 1;
    return {
      ok: false,
      code: "cname_target_too_long",
      message: `This hostname is ${hostname.length} characters long; its CNAME target (the hostname followed by .${suffix}) would be ${target.length}, over the DNS limit of ${MAX_HOSTNAME_LENGTH}. Use a hostname of at most ${room} characters.`,
    };
  }

  const section = publicSuffixSection(hostname);
  if (section === "icann") {
    return {
      ok: false,
      code: "public_suffix",
      message: `“${unicode}” is a public suffix (like “com” or “co.uk”), under which people register domains. Enter your own domain under it, e.g. example.${unicode}.`,
    };
  }
  if (section === "private") {
    return {
      ok: false,
      code: "private_suffix",
      message: `“${unicode}” is a shared domain whose subdomains belong to different customers (listed in the private section of the Public Suffix List). Enter your own name under it, e.g. yourname.${unicode}.`,
    };
  }

  const apex = icannRegistrableDomain(hostname);
  const result: HostnameResult = { ok: true, hostname, unicode, isApex: apex === hostname, apex };
  if (fromUrl) result.notice = urlNotice(fromUrl, unicode);
  return result;
}

/**
 * The CNAME target a domain's DNS must point at (docs/product.md "Glossary"): `<hostname>.<suffix>`, e.g. `www.example.com` →
 * `www.example.com.edge.localhost`. `hostname` must already be normalised (A-label form).
 * @param suffix defaults to `settings().edgeCnameSuffix` (`EDGE_CNAME_SUFFIX`, lower-case, without dots at the ends).
 */
export function cnameTarget(hostname: string, suffix: string = settings().edgeCnameSuffix): string {
  return `${hostname}.${suffix}`;
}

// A scheme, or a character that only appears in a URL (path, query, fragment, credentials, port). A bare IPv6
// address has colons too: it is left to the IP check.
function looksLikeUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || (!isIP(s) && /[/?#@:\\]/.test(s));
}

type FromUrl = { host: string; port: string; credentials: boolean };

function hostFromUrl(s: string): FromUrl | HostnameError {
  // A scheme other than http(s) (`mailto:a@b.com`, `ftp://…`) names something else than a website.
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i.exec(s)?.[1]?.toLowerCase();
  if (scheme && scheme !== "http" && scheme !== "https") {
    return {
      ok: false,
      code: "invalid_url",
      message: `“${scheme}:” is not a website address. Enter the website's hostname, e.g. www.example.com.`,
    };
  }
  const url = parseUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`);
  if (!url?.hostname) {
    return {
      ok: false,
      code: "invalid_url",
      message: `We could not find a hostname in “${s}”. Enter just the hostname, e.g. www.example.com.`,
    };
  }
  return { host: url.hostname, port: url.port, credentials: Boolean(url.username || url.password) };
}

function parseUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

function urlNotice(from: FromUrl, shown: string): string {
  let notice = `We took the hostname from the URL you pasted: ${shown}.`;
  if (from.port) notice += ` The port ${from.port} was left out: the edge serves domains on the standard ports 80 and 443.`;
  if (from.credentials) notice += " The user name and password in the URL were left out and not stored.";
  return notice;
}
