import ipaddr from "ipaddr.js";
import type { DomainStatus } from "@/db/schema";
import { matchesVerificationToken } from "@/lib/tokens/verification-token";
import { MAX_CNAME_HOPS, canonicalName } from "./resolver";
import { challengeName, type Observation } from "./observe";

/** What a domain must resolve to (docs/product.md "Domains and DNS go-live status"). */
export type Expected = {
  hostname: string;
  /** `<hostname>.<EDGE_CNAME_SUFFIX>`. */
  cnameTarget: string;
  edgeIpv4: string[];
  edgeIpv6: string[];
  /** The token `TXT _edge-challenge.<hostname>` must hold when ownership must be proven; null/absent otherwise. */
  ownershipToken?: string | null;
  /** An apex cannot hold a CNAME: explanations then ask for A records or an ALIAS. Default false. */
  isApex?: boolean;
};

/** Machine reasons of a classification (stored in `dns_checks.reason`). */
export type CheckReason =
  | "cname-target"
  | "edge-a"
  | "ownership"
  | "foreign-cname"
  | "apex-cname"
  | "foreign-a"
  | "foreign-aaaa"
  | "no-a"
  | "dangling"
  | "loop"
  | "too-long"
  | "nxdomain"
  | "servfail"
  | "refused"
  | "timeout"
  | "unreachable"
  | "cancelled"
  | "resolver-error";

/** The verdict on one observation: an outcome (a domain status), a machine reason and one sentence to act on. */
export type Classification = {
  outcome: Exclude<DomainStatus, "pending">;
  reason: CheckReason;
  /** One sentence saying what to change (or that nothing needs to change). */
  explanation: string;
};

/** Machine reason for a transient resolver error code of node's resolver (`ESERVFAIL` → `servfail`…). */
export function errorReason(code: string | null): CheckReason {
  switch (code) {
    case "ESERVFAIL":
      return "servfail";
    case "EREFUSED":
      return "refused";
    case "ETIMEOUT":
      return "timeout";
    case "ECONNREFUSED":
      return "unreachable";
    case "ECANCELLED":
      return "cancelled";
    default:
      return "resolver-error";
  }
}

const ERROR_WORDS: Partial<Record<CheckReason, string>> = {
  servfail: "answered SERVFAIL",
  refused: "refused to answer",
  timeout: "did not answer in time",
  unreachable: "could not be reached",
  cancelled: "was stopped before answering",
};

function normaliseIp(address: string): string {
  const v4 = address.trim();
  // Dotted decimal (leading zeros are decimal here, never octal as some parsers read them).
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return v4.split(".").map(Number).join(".");
  try {
    return ipaddr.parse(address.trim()).toNormalizedString();
  } catch {
    return address.trim().toLowerCase();
  }
}

/** Opening → closing quote marks people and word processors wrap a pasted value in (ASCII and typographic). */
const QUOTE_PAIRS: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  "\u201c": "\u201d",
  "\u2018": "\u2019",
  "\u00ab": "\u00bb",
  "\u201e": "\u201c",
};

/**
 * One or more zone-file `<character-string>`s (RFC 1035 §5.1): `"…"` with `\"`, `\\`, `\DDD` escapes, separated by
 * blanks or not at all.
 */
const QUOTED_STRINGS = /^"(?:[^"\\]|\\[\s\S])*"(?:\s*"(?:[^"\\]|\\[\s\S])*")*$/;

function unescapeZoneText(text: string): string {
  return text.replace(/\\(\d{3}|[\s\S])/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(Number(e)) : e));
}

/**
 * The value a DNS panel meant, from one TXT value as the resolver returned it (its `<character-string>`s already
 * joined, RFC 1035 §3.3.14, RFC 7208 §3.3): surrounding blanks removed; a value typed in zone-file form, one or
 * more quoted strings (`"abc"`, `"ab" "c"`, RFC 1035 §5.1), becomes their joined contents; one pair of surrounding
 * quote marks (`'…'`, `“…”`) is dropped. Repeated up to three times (`"'abc'"` → `abc`). Nothing else changes:
 * inner blanks, other characters and case are kept. Pure; never throws.
 */
export function unwrapTxtValue(raw: string): string {
  let value = raw.trim();
  for (let round = 0; round < 3; round++) {
    if (QUOTED_STRINGS.test(value)) {
      value = [...value.matchAll(/"((?:[^"\\]|\\[\s\S])*)"/g)]
        .map((m) => unescapeZoneText(m[1]))
        .join("")
        .trim();
      continue;
    }
    const close = QUOTE_PAIRS[value[0] ?? ""];
    if (value.length >= 2 && close !== undefined && value.endsWith(close)) {
      value = value.slice(1, -1).trim();
      continue;
    }
    break;
  }
  return value;
}

/**
 * True when one of `txt` (the values of `TXT _edge-challenge.<hostname>`) is the ownership `token` once unwrapped
 * ({@link unwrapTxtValue}) and compared by {@link matchesVerificationToken}: exactly, ignoring case only for tokens
 * without upper-case letters. Never a substring: `xtoken`, `token2`, `"token" x` do not count. Pure.
 */
export function txtHoldsToken(txt: readonly string[], token: string): boolean {
  return txt.some((raw) => matchesVerificationToken(unwrapTxtValue(raw), token));
}

/** "a", "a and b", "a, b and c". */
function words(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function records(type: "A" | "AAAA", values: string[]): string {
  return `the ${type} record${values.length > 1 ? "s" : ""} ${words(values)}`;
}

/** What to create for a name that should go live: a CNAME, or for an apex A/AAAA records or an ALIAS. */
function recordsToCreate(e: Expected, target: string): string {
  if (!e.isApex) return `a CNAME record to ${target}`;
  const addresses = [
    ...(e.edgeIpv4.length ? [`A records for ${words(e.edgeIpv4)}`] : []),
    ...(e.edgeIpv6.length ? [`AAAA records for ${words(e.edgeIpv6)}`] : []),
  ];
  return addresses.length ? `${addresses.join(" and ")} (or an ALIAS to ${target})` : `an ALIAS record to ${target}`;
}

/**
 * Classifies an observation against what is expected (docs/product.md "Domains and DNS go-live status"). Pure. Live
 * when the chain reaches the CNAME target (names compared case-insensitively without trailing dot), or when the final
 * name has at least one A record, every A is in `edgeIpv4` and no AAAA lies outside `edgeIpv6`; then, when
 * `ownershipToken` is set, one value of the challenge TXT must be that token ({@link txtHoldsToken}: quotes, blanks,
 * split strings and, for lower-case tokens, case changes tolerated). A transient resolver failure is `error`; the
 * caller decides what that does to a known status.
 */
export function classify(o: Observation, e: Expected): Classification {
  const host = canonicalName(e.hostname);
  const target = canonicalName(e.cnameTarget);
  const chain = o.chain.map(canonicalName);
  const edge4 = new Set(e.edgeIpv4.map(normaliseIp));
  const edge6 = new Set(e.edgeIpv6.map(normaliseIp));
  const answered = o.end === "ok";
  const foreignA = answered ? o.a.filter((a) => !edge4.has(normaliseIp(a))) : [];
  const foreignAaaa = answered ? o.aaaa.filter((a) => !edge6.has(normaliseIp(a))) : [];
  const reachesTarget = chain.includes(target);
  const edgeAddresses = answered && o.a.length > 0 && foreignA.length === 0 && foreignAaaa.length === 0;

  if (reachesTarget || edgeAddresses) {
    const token = e.ownershipToken;
    if (token && !txtHoldsToken(o.txt, token)) {
      if (o.txtErrorCode) return transient(errorReason(o.txtErrorCode), challengeName(host));
      return {
        outcome: "misconfigured",
        reason: "ownership",
        explanation: `${host} already pointed at the edge when it was added: create a TXT record ${challengeName(host)} with the value ${token} to prove you control it.`,
      };
    }
    return reachesTarget
      ? { outcome: "live", reason: "cname-target", explanation: `${host} points to ${target}; nothing to change.` }
      : { outcome: "live", reason: "edge-a", explanation: `${host} resolves only to the edge's addresses; nothing to change.` };
  }

  const pointTo = e.isApex ? `an apex cannot hold a CNAME: replace it with ${recordsToCreate(e, target)}` : `point it to ${target}`;
  switch (o.end) {
    case "error":
      return transient(errorReason(o.errorCode), o.errorName ?? host);
    case "nxdomain":
      return {
        outcome: "nxdomain",
        reason: "nxdomain",
        explanation: `${host} does not exist in DNS: create ${recordsToCreate(e, target)}.`,
      };
    case "dangling":
      return {
        outcome: "misconfigured",
        reason: "dangling",
        explanation: `${host} points to ${chain[chain.length - 1]}, which does not exist; ${pointTo}.`,
      };
    case "loop":
      return {
        outcome: "misconfigured",
        reason: "loop",
        explanation: `the CNAME chain of ${host} loops (${[host, ...chain].join(" → ")}); ${pointTo}.`,
      };
    case "too-long":
      return {
        outcome: "misconfigured",
        reason: "too-long",
        explanation: `the CNAME chain of ${host} is longer than ${MAX_CNAME_HOPS} hops (${[host, ...chain].join(" → ")} → …); ${pointTo}.`,
      };
    default:
      break;
  }

  if (chain.length > 0) {
    const via = chain.length > 1 ? ` (via ${words(chain.slice(0, -1))})` : "";
    return {
      outcome: "misconfigured",
      reason: e.isApex ? "apex-cname" : "foreign-cname",
      explanation: `${host} points to ${chain[chain.length - 1]}${via}; ${pointTo}.`,
    };
  }
  if (o.a.length === 0 && o.aaaa.length === 0) {
    return {
      outcome: "misconfigured",
      reason: "no-a",
      explanation: `${host} exists but has no A, AAAA or CNAME record: create ${recordsToCreate(e, target)}.`,
    };
  }
  if (!e.isApex) {
    const found = [...(o.a.length ? [records("A", o.a)] : []), ...(o.aaaa.length ? [records("AAAA", o.aaaa)] : [])];
    return {
      outcome: "misconfigured",
      reason: foreignA.length ? "foreign-a" : o.a.length === 0 ? "no-a" : "foreign-aaaa",
      explanation: `replace ${words(found)} of ${host} with a CNAME record to ${target}.`,
    };
  }
  const edgeAPresent = o.a.length > foreignA.length;
  const remove = [...(foreignA.length ? [records("A", foreignA)] : []), ...(foreignAaaa.length ? [records("AAAA", foreignAaaa)] : [])];
  if (o.a.length === 0) {
    return {
      outcome: "misconfigured",
      reason: "no-a",
      explanation: `${host} has no A record: ${remove.length ? `remove ${words(remove)} and ` : ""}create ${recordsToCreate(e, target)}.`,
    };
  }
  return {
    outcome: "misconfigured",
    reason: foreignA.length ? "foreign-a" : "foreign-aaaa",
    explanation:
      foreignA.length && !edgeAPresent
        ? `replace ${words(remove)} of ${host} with ${recordsToCreate(e, target)}.`
        : `remove ${words(remove)} from ${host}.`,
  };
}

function transient(reason: CheckReason, name: string): Classification {
  return {
    outcome: "error",
    reason,
    explanation: `the DNS resolver ${ERROR_WORDS[reason] ?? "failed"} for ${name}; nothing to change yet — the check is retried automatically.`,
  };
}
