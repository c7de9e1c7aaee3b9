import type { DomainStatus } from "@/db/schema";
import { classify, type Classification, type Expected } from "@/lib/dns/classify";
import { nextCheckDelayMs, statusAfter, type CheckRecords } from "@/lib/dns/go-live";
import type { Observation } from "@/lib/dns/observe";

// Made-up but consistent go-live histories for seeded domains (benchmarks and demos, `npm run seed`). Every stored
// check is what the real classifier (lib/dns/classify) says about a made-up observation, and the domain row is what
// checkDomain would have left after those checks (status rule, flag, failure streak, backoff), so pages, /ops and the
// scheduler see the same shapes as after real checks. Pure: randomness comes from the caller's generator.

/**
 * A pseudo-random generator in [0, 1) whose `state` can be noted and set back (to draw the same numbers again, as a
 * database transaction that runs twice must).
 */
export type SeededRandom = { (): number; state: number };

/** A seeded pseudo-random generator in [0, 1) (mulberry32): the same seed gives the same data set. */
export function seededRandom(seed: number): SeededRandom {
  const random = (() => {
    const a = (random.state + 0x6d2b79f5) >>> 0;
    random.state = a;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRandom;
  random.state = seed >>> 0;
  return random;
}

/** What a seeded domain's DNS "said" at one check. */
export type ObservedKind = "edge" | "foreign" | "dangling" | "nxdomain" | "timeout" | "servfail" | "ownership";

/** The story of a seeded domain: its current status, whether it is flagged, and the kinds of its checks (oldest first). */
export type SeedScenario = { status: DomainStatus; flagged: boolean; ownershipRequired: boolean; kinds: ObservedKind[] };

/**
 * Picks a domain's scenario with roughly these shares: 12 % pending (never checked), 58 % live (some after a
 * misconfiguration or with a transient error in between), 16 % misconfigured (a foreign CNAME/A, a dangling chain or
 * a missing ownership TXT; a third of them flagged after having been live), 8 % nxdomain (some flagged), 6 % error
 * (never answered: only transient failures).
 */
export function pickScenario(random: () => number): SeedScenario {
  const r = random();
  const repeat = (kind: ObservedKind, n: number) => Array.from({ length: n }, () => kind);
  const n = 1 + Math.floor(random() * 3);
  if (r < 0.12) return { status: "pending", flagged: false, ownershipRequired: random() < 0.05, kinds: [] };
  if (r < 0.7) {
    const start: ObservedKind[] = random() < 0.3 ? ["nxdomain", "foreign"] : [];
    const blip: ObservedKind[] = random() < 0.15 ? ["edge", random() < 0.5 ? "timeout" : "servfail"] : [];
    return { status: "live", flagged: false, ownershipRequired: false, kinds: [...start, ...blip, ...repeat("edge", n)] };
  }
  if (r < 0.86) {
    const flagged = random() < 0.33;
    const pick = random();
    if (!flagged && pick < 0.12) return { status: "misconfigured", flagged: false, ownershipRequired: true, kinds: repeat("ownership", n) };
    const kind: ObservedKind = pick < 0.2 ? "dangling" : "foreign";
    return {
      status: "misconfigured",
      flagged,
      ownershipRequired: false,
      kinds: [...(flagged ? (["edge", "edge"] as ObservedKind[]) : (["nxdomain"] as ObservedKind[])), ...repeat(kind, n)],
    };
  }
  if (r < 0.94) {
    const flagged = random() < 0.25;
    return {
      status: "nxdomain",
      flagged,
      ownershipRequired: false,
      kinds: [...(flagged ? (["edge"] as ObservedKind[]) : []), ...repeat("nxdomain", n)],
    };
  }
  return { status: "error", flagged: false, ownershipRequired: false, kinds: repeat(random() < 0.6 ? "timeout" : "servfail", n) };
}

/** A made-up observation of `expected.hostname` of the given kind (`n` varies the foreign names and addresses). */
export function observationOf(kind: ObservedKind, expected: Expected, n: number): Observation {
  const hostname = expected.hostname;
  const base: Observation = {
    hostname,
    chain: [],
    final: hostname,
    end: "ok",
    a: [],
    aaaa: [],
    ttl: null,
    txt: [],
    txtErrorCode: null,
    errorCode: null,
    errorName: null,
  };
  const foreignIp = `198.51.100.${(n % 250) + 1}`;
  switch (kind) {
    case "edge":
      return expected.isApex
        ? {
            ...base,
            a: [...expected.edgeIpv4],
            aaaa: [...expected.edgeIpv6],
            ttl: 300,
            txt: expected.ownershipToken ? [expected.ownershipToken] : [],
          }
        : {
            ...base,
            chain: [expected.cnameTarget],
            final: expected.cnameTarget,
            end: "stopped",
            txt: expected.ownershipToken ? [expected.ownershipToken] : [],
          };
    case "ownership":
      return expected.isApex
        ? { ...base, a: [...expected.edgeIpv4], ttl: 300 }
        : { ...base, chain: [expected.cnameTarget], final: expected.cnameTarget, end: "stopped" };
    case "foreign": {
      if (expected.isApex) return { ...base, a: [foreignIp], ttl: 3600 };
      const other = `lb-${n % 97}.othercdn.example.net`;
      return { ...base, chain: [other], final: other, a: [foreignIp], ttl: 600 };
    }
    case "dangling": {
      const gone = `old-site-${n % 89}.herokudns.example.net`;
      return { ...base, chain: [gone], final: gone, end: "dangling" };
    }
    case "nxdomain":
      return { ...base, end: "nxdomain", errorCode: "ENOTFOUND", errorName: hostname };
    case "timeout":
      return { ...base, end: "error", errorCode: "ETIMEOUT", errorName: hostname };
    case "servfail":
      return { ...base, end: "error", errorCode: "ESERVFAIL", errorName: hostname };
  }
}

/** One seeded `dns_checks` row (without ids). */
export type SeededCheck = {
  checkedAt: number;
  outcome: Exclude<DomainStatus, "pending">;
  status: DomainStatus;
  reason: string;
  records: string;
  durationMs: number;
  errorCode: string | null;
};

/** The domain columns a history leaves behind (as checkDomain writes them). */
export type SeededDomainState = {
  status: DomainStatus;
  flagged: boolean;
  failureStreak: number;
  lastCheckedAt: number | null;
  lastSuccessAt: number | null;
  nextCheckAt: number | null;
};

/**
 * Replays `scenario.kinds` as checks ending shortly before `now` (ms), applying checkDomain's rules (statusAfter,
 * flag on live → not live and cleared on live, failure streak, nextCheckDelayMs); the last check lies a random part
 * of its backoff before `now`, so next checks are spread out (about one in ten already due). Throws when the
 * classifier disagrees with the scenario (a seeding defect, never silent).
 */
export function replayHistory(
  scenario: SeedScenario,
  expected: Expected,
  now: number,
  random: () => number,
  n: number,
): { checks: SeededCheck[]; state: SeededDomainState } {
  const state: SeededDomainState = {
    status: "pending",
    flagged: false,
    failureStreak: 0,
    lastCheckedAt: null,
    lastSuccessAt: null,
    nextCheckAt: null,
  };
  if (scenario.kinds.length === 0) {
    state.nextCheckAt = random() < 0.5 ? null : now + Math.round(random() * 60_000);
    return { checks: [], state };
  }
  const classified: Classification[] = scenario.kinds.map((kind) => classify(observationOf(kind, expected, n), expected));
  // Work out the delays first, then lay the checks out backwards from a last check just before `now`.
  const checks: SeededCheck[] = [];
  const delays: number[] = [];
  for (const [i, c] of classified.entries()) {
    const previous = state.status;
    state.status = statusAfter(previous, c.outcome);
    state.flagged = state.status === "live" ? false : previous === "live" ? true : state.flagged;
    state.failureStreak = c.outcome === "live" ? 0 : state.failureStreak + 1;
    delays.push(Math.trunc(nextCheckDelayMs(c.outcome, state.failureStreak, random)));
    const o = observationOf(scenario.kinds[i], expected, n);
    const records: CheckRecords = {
      chain: o.chain,
      a: o.a,
      aaaa: o.aaaa,
      txt: o.txt,
      ...(o.ttl === null ? {} : { ttl: o.ttl }),
      explanation: c.explanation,
    };
    checks.push({
      checkedAt: 0,
      outcome: c.outcome,
      status: state.status,
      reason: c.reason,
      records: JSON.stringify(records),
      durationMs: c.outcome === "error" && o.errorCode === "ETIMEOUT" ? 2000 + Math.round(random() * 2000) : 2 + Math.round(random() * 60),
      errorCode: o.errorCode ?? (c.outcome === "error" ? o.txtErrorCode : null),
    });
  }
  if (state.status !== scenario.status || state.flagged !== scenario.flagged) {
    throw new Error(`seed: scenario ${JSON.stringify(scenario)} replays to ${state.status}${state.flagged ? " (flagged)" : ""}`);
  }
  const lastDelay = delays[delays.length - 1];
  let at = now - Math.round(lastDelay * (random() * 1.1));
  for (let i = checks.length - 1; i >= 0; i--) {
    checks[i].checkedAt = at;
    if (i > 0) at -= delays[i - 1];
  }
  const last = checks[checks.length - 1];
  state.lastCheckedAt = last.checkedAt;
  state.nextCheckAt = last.checkedAt + lastDelay;
  const lastSuccess = [...checks].reverse().find((c) => c.outcome !== "error");
  state.lastSuccessAt = lastSuccess ? lastSuccess.checkedAt : null;
  return { checks, state };
}
