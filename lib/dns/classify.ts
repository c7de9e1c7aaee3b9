import ipaddr from "ipaddr.js";
import type { DomainStatus } from "@/db/schema";
import { MAX_CNAME_HOPS, canonicalName } from "./resolver";
import { challengeName, type Observation } from "./observe";

/** What a domain must resolve to (SPEC §3.5). */
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
 * Classifies an observation against what is expected (SPEC §3.5). Pure. Live when the chain reaches the CNAME
 * target (names compared case-insensitively without trailing dot), or when the final name has at least one A
 * record, every A is in `edgeIpv4` and no AAAA lies outside `edgeIpv6`; then, when `ownershipToken` is set, the
 * challenge TXT must contain it. A transient resolver failure is `error`; the caller decides what that does to a
 * known status.
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
    if (token && !o.txt.includes(token)) {
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
