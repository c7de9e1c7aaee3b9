import { isIP } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";

/** Longest hostname in presentation form without the trailing dot (RFC 1035 §2.3.4: 255 octets on the wire). */
export const MAX_HOSTNAME_LENGTH = 253;
/** Longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;

/**
 * Why a hostname was refused. Each refusal has its own code so the UI, the API (problem+json `code`) and tests can
 * tell them apart; the matching `message` is the sentence shown to the user.
 */
export type HostnameErrorCode =
  | "empty"
  | "invalid_url"
  | "wildcard"
  | "ip_address"
  | "numeric_tld"
  | "trailing_dots"
  | "empty_label"
  | "invalid_character"
  | "invalid_idna"
  | "label_too_long"
  | "label_hyphen"
  | "name_too_long"
  | "single_label"
  | "cname_target_too_long"
  | "edge_domain"
  | "special_use"
  | "public_suffix"
  | "private_suffix";

/** A refusal: a stable code and a user-facing message that says what to do. */
export type HostnameError = { ok: false; code: HostnameErrorCode; message: string };

/** A hostname that passed the syntax rules: stored A-label form and Unicode display form. */
export type HostnameSyntaxOk = { ok: true; hostname: string; unicode: string };

const EXAMPLE = "Enter a hostname like www.example.com.";
// UTS-46 maps these full stops to "." (IDEOGRAPHIC, FULLWIDTH and HALFWIDTH IDEOGRAPHIC FULL STOP).
const UNICODE_DOTS = /[\u3002\uFF0E\uFF61]/g;

const fail = (code: HostnameErrorCode, message: string): HostnameError => ({ ok: false, code, message });

/**
 * Checks a bare hostname (no URL handling) against the label and length rules of docs/product.md "Hostname rules" and converts it to its
 * A-label form: lower-case, one trailing dot dropped, Unicode → punycode with `node:url` `domainToASCII` (WHATWG
 * host parsing = UTS-46 non-transitional processing), each label 1–63 characters of `[a-z0-9-]` not starting or
 * ending with a hyphen (RFC 1035 §2.3.1 / RFC 5891 §4.2.3.1, checked on the A-label and the U-label), at most 253
 * characters in all, at least two labels; IP addresses (also bracketed IPv6 and the numeric IPv4 forms the WHATWG
 * parser accepts, e.g. `0x7f.1`) and wildcards are refused. Public Suffix List rules are not applied here (see
 * `normaliseHostname`). Pure; never throws.
 * @returns `{ ok: true, hostname, unicode }` or `{ ok: false, code, message }`.
 */
export function checkHostnameSyntax(input: string): HostnameSyntaxOk | HostnameError {
  let name = input.trim().toLowerCase().replace(UNICODE_DOTS, ".");
  if (!name || name === ".") return fail("empty", `Enter a hostname, e.g. www.example.com.`);
  if (/^\[.*\]$/.test(name) || isIP(name)) {
    return fail("ip_address", `“${input.trim()}” is an IP address; the edge serves hostnames. ${EXAMPLE}`);
  }
  if (name.startsWith("*.") || name === "*") {
    return fail(
      "wildcard",
      `Wildcard hostnames are not supported yet. Add each hostname separately, e.g. www.${name.replace(/^\*\.?/, "") || "example.com"}.`,
    );
  }
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.endsWith(".")) {
    return fail("trailing_dots", `“${input.trim()}” ends with more than one dot. Remove the dots at the end.`);
  }
  if (name.split(".").some((label) => label === "")) return emptyLabel(input);
  // ASCII outside [a-z0-9.-] is refused here; non-ASCII characters are left to IDNA.
  const bad = [...new Set([...name].filter((c) => c.charCodeAt(0) < 0x80 && !/[a-z0-9.-]/.test(c)))];
  if (bad.length > 0) return invalidCharacters(input, bad);

  const labels = name.split(".");
  const ascii = domainToASCII(name);
  if (ascii && isIP(ascii)) {
    return fail("ip_address", `“${input.trim()}” is read as the IP address ${ascii}; the edge serves hostnames. ${EXAMPLE}`);
  }
  if (!ascii) {
    const last = labels[labels.length - 1];
    if (/^(\d+|0x[0-9a-f]*)$/.test(last)) {
      return fail("numeric_tld", `“${input.trim()}” ends in the number “${last}”; a domain never does. ${EXAMPLE}`);
    }
    const culprit = labels.find((label) => !domainToASCII(label)) ?? name;
    return fail(
      "invalid_idna",
      `“${culprit}” is not a valid internationalised label (IDNA): check the spelling, or any “xn--” label copied from elsewhere. ${EXAMPLE}`,
    );
  }

  const asciiLabels = ascii.split(".");
  if (asciiLabels.some((label) => label === "")) return emptyLabel(input);
  const stillBad = [...new Set(ascii.match(/[^a-z0-9.-]/g) ?? [])];
  if (stillBad.length > 0) return invalidCharacters(input, stillBad);
  const unicode = domainToUnicode(ascii) || ascii;
  const unicodeLabels = unicode.split(".");
  for (const [i, label] of asciiLabels.entries()) {
    if (label.length > MAX_LABEL_LENGTH) {
      return fail(
        "label_too_long",
        `The part “${shorten(unicodeLabels[i] ?? label)}” is ${label.length} characters long; each part between dots may have at most ${MAX_LABEL_LENGTH}.`,
      );
    }
    const shown = unicodeLabels[i] ?? label;
    if (/^-|-$/.test(label) || /^-|-$/.test(shown)) {
      return fail("label_hyphen", `The part “${shown}” starts or ends with a hyphen, which hostnames do not allow.`);
    }
  }
  if (ascii.length > MAX_HOSTNAME_LENGTH) {
    return fail(
      "name_too_long",
      `This hostname is ${ascii.length} characters long; DNS allows at most ${MAX_HOSTNAME_LENGTH}. Use a shorter one.`,
    );
  }
  if (asciiLabels.length < 2) {
    return fail("single_label", `“${unicode}” has no domain part. Enter the full hostname, e.g. ${unicode}.example.com.`);
  }
  return { ok: true, hostname: ascii, unicode };
}

function emptyLabel(input: string): HostnameError {
  return fail("empty_label", `“${input.trim()}” has an empty part (two dots in a row, or a dot at the start). Remove the extra dot.`);
}

function invalidCharacters(input: string, chars: string[]): HostnameError {
  const list = chars.map((c) => (c === " " ? "a space" : `“${c}”`)).join(", ");
  return fail("invalid_character", `“${input.trim()}” contains ${list}. Hostnames may only contain letters, digits, hyphens and dots.`);
}

const shorten = (label: string) => (label.length > 20 ? `${label.slice(0, 10)}…${label.slice(-6)}` : label);
