import { rawReader, rawWriteTransaction, type RawQuery } from "@/db/raw";
import { newVerificationToken } from "@/lib/tokens/verification-token";
import { expectedFor } from "@/lib/dns/go-live";
import { normaliseHostname } from "@/lib/hostname";
import { insertRows } from "./bulk";
import { pickScenario, replayHistory, type SeededCheck, type SeededRandom } from "./history";
import type { AppPlan, DomainPlan } from "./plan";

// The bulk of `npm run seed`: every planned domain with its made-up check history (lib/seed/history), DOMAIN_BATCH
// domains per transaction, DOMAINS_PER_PART at a time through multi-row inserts of the domains, then of their checks
// (lib/seed/bulk; the same SQL on SQLite and PostgreSQL). Domains that createApplication/createEnvironment already
// made keep their row and token and get a history like the others. A transaction sets the random generator back to
// where it started each time it runs, so one that PostgreSQL runs again after a serialization failure or deadlock
// writes the same rows.

const DOMAIN_BATCH = 5000;
/**
 * Domains worked out and written at a time (one insert of the domains, one or two of their checks). Small, so that
 * only their rows are alive at once: rows alive across many young-generation collections make V8 promote (or
 * pretenure) them, and the old space grows by a hundred MB or more before it is collected.
 */
const DOMAINS_PER_PART = 100;
const DAY = 86_400_000;

const DOMAIN_COLUMNS = [
  "account_id",
  "application_id",
  "environment_id",
  "hostname",
  "hostname_unicode",
  "is_apex",
  "verification_token",
  "ownership_required",
  "status",
  "last_checked_at",
  "last_success_at",
  "flagged",
  "next_check_at",
  "failure_streak",
  "created_at",
] as const;
const CHECK_COLUMNS = [
  "domain_id",
  "checked_at",
  "outcome",
  "status",
  "reason",
  "records",
  "resolver",
  "duration_ms",
  "error_code",
] as const;

/** A seeded hostname in the stored forms (lib/hostname); throws on a name the planner should never make. */
export function hostnameOf(name: string) {
  const h = normaliseHostname(name);
  if (!h.ok) throw new Error(`seed: bad hostname ${name}: ${h.message}`);
  return { hostname: h.hostname, unicode: h.unicode, isApex: h.isApex };
}

/** An application as inserted: its plan, ids, and the ids of domains its normal creation already made (by hostname). */
export type SeededApp = { plan: AppPlan; id: number; productionId: number; stagingId: number | null; existing: Map<string, number> };

/** One domain worked out: the row to insert (or the update of an existing one) and its checks. */
type DomainWrite = {
  hostname: string;
  insert: unknown[] | null;
  update: { id: number; params: unknown[] } | null;
  checks: SeededCheck[];
};

/**
 * Inserts (or, for domains made by the normal creation, updates) every planned domain of `apps` with its state and
 * `dns_checks` history ending before `now` (ms). Resolves to the counts of domains and checks written.
 */
export async function insertDomains(p: {
  apps: SeededApp[];
  now: number;
  random: SeededRandom;
  log: (line: string) => void;
}): Promise<{ domains: number; checks: number }> {
  const rows: { app: SeededApp; environmentId: number; domain: DomainPlan }[] = [];
  for (const app of p.apps) {
    for (const domain of app.plan.production) rows.push({ app, environmentId: app.productionId, domain });
    for (const domain of app.plan.staging) rows.push({ app, environmentId: app.stagingId!, domain });
  }
  // The tokens of the domains the normal creation made (a handful), read once before any write.
  const existingIds = p.apps.flatMap((app) => [...app.existing.values()]);
  const tokens = new Map<number, string>();
  if (existingIds.length) {
    const found = await rawReader().rows<{ id: number; t: string }>(
      `SELECT id, verification_token AS t FROM domains WHERE id IN (${existingIds.map(() => "?").join(", ")})`,
      existingIds,
    );
    for (const r of found) tokens.set(Number(r.id), r.t);
  }
  /** Domain `row`, the `n`-th (1-based) of the whole run, worked out with `random`. */
  const plan = ({ app, environmentId, domain }: (typeof rows)[number], n: number, random: () => number): DomainWrite => {
    const host = hostnameOf(domain.name);
    const scenario = pickScenario(random);
    const existingId = app.existing.get(domain.name);
    let token: string;
    if (existingId === undefined) token = newVerificationToken();
    else {
      // Made by createApplication/createEnvironment: keep its token, give it a history like the others.
      const stored = tokens.get(existingId);
      if (stored === undefined) throw new Error(`seed: domain ${existingId} (${domain.name}) is missing`);
      token = stored;
    }
    const expected = expectedFor({
      hostname: host.hostname,
      isApex: host.isApex,
      ownershipRequired: scenario.ownershipRequired,
      verificationToken: token,
    });
    const history = replayHistory(scenario, expected, p.now, random, n);
    const createdAt = (history.checks[0]?.checkedAt ?? p.now) - Math.round(random() * (history.checks.length ? 30 * DAY : 10 * 60_000));
    const s = history.state;
    const ownership = scenario.ownershipRequired ? 1 : 0;
    const flagged = s.flagged ? 1 : 0;
    if (existingId !== undefined) {
      const params = [
        ownership,
        s.status,
        s.lastCheckedAt,
        s.lastSuccessAt,
        flagged,
        s.nextCheckAt,
        s.failureStreak,
        createdAt,
        existingId,
      ];
      return { hostname: host.hostname, checks: history.checks, insert: null, update: { id: existingId, params } };
    }
    const insert = [
      app.plan.accountId(),
      app.id,
      environmentId,
      host.hostname,
      host.unicode,
      host.isApex ? 1 : 0,
      token,
      ownership,
      s.status,
      s.lastCheckedAt,
      s.lastSuccessAt,
      flagged,
      s.nextCheckAt,
      s.failureStreak,
      createdAt,
    ];
    return { hostname: host.hostname, checks: history.checks, insert, update: null };
  };
  /** Writes `writes` (domains, then their checks in the same order); resolves to the number of checks. */
  const write = async (q: RawQuery, writes: DomainWrite[]): Promise<number> => {
    for (const w of writes) {
      if (!w.update) continue;
      await q.run(
        `UPDATE domains SET ownership_required = ?, status = ?, last_checked_at = ?, last_success_at = ?, flagged = ?,
           next_check_at = ?, failure_streak = ?, created_at = ? WHERE id = ?`,
        w.update.params,
      );
    }
    const inserted = await insertRows<{ id: number; hostname: string }>(
      q,
      "domains",
      DOMAIN_COLUMNS,
      writes.flatMap((w) => (w.insert ? [w.insert] : [])),
      "id, hostname",
    );
    const ids = new Map(inserted.map((r) => [r.hostname, Number(r.id)]));
    const checkRows: unknown[][] = [];
    for (const w of writes) {
      const id = w.update ? w.update.id : ids.get(w.hostname);
      if (id === undefined) throw new Error(`seed: no id came back for ${w.hostname}`);
      for (const c of w.checks)
        checkRows.push([id, c.checkedAt, c.outcome, c.status, c.reason, c.records, "seed", c.durationMs, c.errorCode]);
    }
    await insertRows(q, "dns_checks", CHECK_COLUMNS, checkRows);
    return checkRows.length;
  };
  let checks = 0;
  for (let i = 0; i < rows.length; i += DOMAIN_BATCH) {
    const batch = rows.slice(i, i + DOMAIN_BATCH);
    const start = p.random.state;
    checks += await rawWriteTransaction(async (q) => {
      // Run again (PostgreSQL, after a serialization failure or deadlock): draw the same numbers again.
      p.random.state = start;
      let written = 0;
      for (let j = 0; j < batch.length; j += DOMAINS_PER_PART) {
        const part = batch.slice(j, j + DOMAINS_PER_PART);
        written += await write(
          q,
          part.map((row, k) => plan(row, i + j + k + 1, p.random)),
        );
      }
      return written;
    });
    if (rows.length > DOMAIN_BATCH) p.log(`domains ${Math.min(i + DOMAIN_BATCH, rows.length)}/${rows.length}`);
  }
  return { domains: rows.length, checks };
}
