import { isIP } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { parse } from "tldts";

// A label no PSL rule names: used to ask tldts whether a wildcard rule covers the children of a suffix.
const PROBE = "psl-wildcard-probe";

const isAscii = (s: string) => [...s].every((c) => c.charCodeAt(0) < 0x80);

/**
 * The registrable domain of an A-label name with tldts, corrected for exception rules to agree with the PSL's
 * current test vectors. tldts 7 treats the parent `P` of a wildcard rule `*.P` as a public suffix, so for a name
 * covered by an exception rule `!E` (`city.kobe.jp` under `*.kobe.jp`) it answers `E`; the vectors
 * (`checkPublicSuffix('city.kobe.jp', 'kobe.jp')`) let the exception cancel the wildcard and take the suffix from
 * the remaining rules (`jp`), so the registrable domain is `P`. A single-label `P` (`ck` for `!www.ck`) is a suffix
 * by the implicit `*` rule either way (`www.ck` → `www.ck`).
 */
function registrable(ascii: string, allowPrivateDomains: boolean): string | null {
  const opts = { allowPrivateDomains, extractHostname: false };
  const { domain, publicSuffix } = parse(ascii, opts);
  if (!domain || !publicSuffix || !publicSuffix.includes(".")) return domain;
  const probe = `${PROBE}.${publicSuffix}`;
  if (parse(probe, opts).publicSuffix !== probe) return domain;
  // `*.<publicSuffix>` covers `domain`, yet tldts calls `domain` registrable: an exception rule prevails.
  const fallback = parse(publicSuffix.slice(publicSuffix.indexOf(".") + 1), opts).publicSuffix;
  if (!fallback) return domain;
  return ascii
    .split(".")
    .slice(-(fallback.split(".").length + 1))
    .join(".");
}

/**
 * The registrable domain ("eTLD+1") of a name under both sections of the Public Suffix List, with the semantics of
 * the PSL's own `checkPublicSuffix` test (publicsuffix/list `tests/test_psl.txt`): `null` input → `null`; the name is
 * lower-cased and converted to A-labels (UTS-46, `node:url` `domainToASCII`); a leading dot or any empty label →
 * `null`; a name that is itself a public suffix → `null`; an unlisted TLD acts as the implicit `*` rule
 * (`example` → `null`, `b.example.example` → `example.example`); wildcard (`*.ck`) and exception (`!www.ck`,
 * `!city.kobe.jp` → `kobe.jp`) rules apply. The answer is in the form of the input: A-labels for ASCII input, Unicode
 * for input containing Unicode (`www.食狮.公司.cn` → `食狮.公司.cn`, `www.xn--85x722f.xn--55qx5d.cn` →
 * `xn--85x722f.xn--55qx5d.cn`), as the vectors expect. IP addresses → `null`. Pure; never throws.
 */
export function registrableDomain(input: string | null): string | null {
  if (input === null) return null;
  const lower = input.toLowerCase();
  if (lower.startsWith(".")) return null;
  const ascii = domainToASCII(lower);
  if (!ascii || isIP(ascii) || ascii.split(".").some((label) => label === "")) return null;
  const domain = registrable(ascii, true);
  if (!domain) return null;
  return isAscii(input) ? domain : domainToUnicode(domain) || domain;
}

/**
 * Which section of the Public Suffix List makes `hostname` (an A-label hostname, as returned by
 * `checkHostnameSyntax`) itself a public suffix: `"icann"` (`co.uk`, `test.ck` via `*.ck`), `"private"`
 * (`github.io`), or `null` when it is not one. Follows tldts, which also counts the parent of a wildcard rule
 * (`kobe.jp` for `*.kobe.jp`) as a public suffix. Pure.
 */
export function publicSuffixSection(hostname: string): "icann" | "private" | null {
  const info = parse(hostname, { allowPrivateDomains: true, extractHostname: false });
  if (info.publicSuffix !== hostname) return null;
  return info.isPrivate ? "private" : "icann";
}

/**
 * The registrable domain of an A-label `hostname` under the ICANN section of the Public Suffix List only (docs/product.md §1
 * "Apex"), with the same rule logic as `registrableDomain`: `shop.example.co.uk` → `example.co.uk`,
 * `me.github.io` → `github.io`; `null` when there is none. Pure.
 */
export function icannRegistrableDomain(hostname: string): string | null {
  return registrable(hostname, false);
}
