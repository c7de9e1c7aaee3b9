import { newVerificationToken } from "@/lib/tokens/verification-token";
import { expectedFor } from "@/lib/dns/go-live";
import { normaliseHostname } from "@/lib/hostname";
import { pickScenario, replayHistory } from "./history";
import type { AppPlan, DomainPlan } from "./plan";
import type { Sqlite } from "./seed";

// The bulk of `npm run seed`: every planned domain with its made-up check history (lib/seed/history), DOMAIN_BATCH
// domains per transaction through prepared statements. Domains that createApplication/createEnvironment already
// made keep their row and token and get a history like the others.

const DOMAIN_BATCH = 5000;
const DAY = 86_400_000;

/** A seeded hostname in the stored forms (lib/hostname); throws on a name the planner should never make. */
export function hostnameOf(name: string) {
  const h = normaliseHostname(name);
  if (!h.ok) throw new Error(`seed: bad hostname ${name}: ${h.message}`);
  return { hostname: h.hostname, unicode: h.unicode, isApex: h.isApex };
}

/** An application as inserted: its plan, ids, and the ids of domains its normal creation already made (by hostname). */
export type SeededApp = { plan: AppPlan; id: number; productionId: number; stagingId: number | null; existing: Map<string, number> };

/**
 * Inserts (or, for domains made by the normal creation, updates) every planned domain of `apps` with its state and
 * `dns_checks` history ending before `now` (ms). Returns the counts of domains and checks written.
 */
export function insertDomains(
  sqlite: Sqlite,
  p: {
    apps: SeededApp[];
    now: number;
    random: () => number;
    log: (line: string) => void;
  },
) {
  const insertDomain = sqlite.prepare(
    `INSERT INTO domains (account_id, application_id, environment_id, hostname, hostname_unicode, is_apex, verification_token,
       ownership_required, status, last_checked_at, last_success_at, flagged, next_check_at, failure_streak, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateDomain = sqlite.prepare(
    `UPDATE domains SET ownership_required = ?, status = ?, last_checked_at = ?, last_success_at = ?, flagged = ?, next_check_at = ?,
       failure_streak = ?, created_at = ? WHERE id = ?`,
  );
  const insertCheck = sqlite.prepare(
    `INSERT INTO dns_checks (domain_id, checked_at, outcome, status, reason, records, resolver, duration_ms, error_code)
     VALUES (?, ?, ?, ?, ?, ?, 'seed', ?, ?)`,
  );
  const rows: { app: (typeof p.apps)[number]; environmentId: number; domain: DomainPlan }[] = [];
  for (const app of p.apps) {
    for (const domain of app.plan.production) rows.push({ app, environmentId: app.productionId, domain });
    for (const domain of app.plan.staging) rows.push({ app, environmentId: app.stagingId!, domain });
  }
  let checks = 0;
  let n = 0;
  const batch = sqlite.transaction((slice: typeof rows) => {
    for (const { app, environmentId, domain } of slice) {
      n++;
      const host = hostnameOf(domain.name);
      const scenario = pickScenario(p.random);
      const existingId = app.existing.get(domain.name);
      let token = newVerificationToken();
      const expectedOf = (t: string) =>
        expectedFor({ hostname: host.hostname, isApex: host.isApex, ownershipRequired: scenario.ownershipRequired, verificationToken: t });
      let id: number;
      let history: ReturnType<typeof replayHistory>;
      const createdAt = (h: ReturnType<typeof replayHistory>) =>
        (h.checks[0]?.checkedAt ?? p.now) - Math.round(p.random() * (h.checks.length ? 30 * DAY : 10 * 60_000));
      if (existingId !== undefined) {
        // Made by createApplication/createEnvironment: keep its token, give it a history like the others.
        token = (sqlite.prepare("SELECT verification_token AS t FROM domains WHERE id = ?").get(existingId) as { t: string }).t;
        history = replayHistory(scenario, expectedOf(token), p.now, p.random, n);
        const s = history.state;
        updateDomain.run(
          scenario.ownershipRequired ? 1 : 0,
          s.status,
          s.lastCheckedAt,
          s.lastSuccessAt,
          s.flagged ? 1 : 0,
          s.nextCheckAt,
          s.failureStreak,
          createdAt(history),
          existingId,
        );
        id = existingId;
      } else {
        history = replayHistory(scenario, expectedOf(token), p.now, p.random, n);
        const s = history.state;
        id = Number(
          insertDomain.run(
            app.plan.accountId(),
            app.id,
            environmentId,
            host.hostname,
            host.unicode,
            host.isApex ? 1 : 0,
            token,
            scenario.ownershipRequired ? 1 : 0,
            s.status,
            s.lastCheckedAt,
            s.lastSuccessAt,
            s.flagged ? 1 : 0,
            s.nextCheckAt,
            s.failureStreak,
            createdAt(history),
          ).lastInsertRowid,
        );
      }
      for (const c of history.checks) insertCheck.run(id, c.checkedAt, c.outcome, c.status, c.reason, c.records, c.durationMs, c.errorCode);
      checks += history.checks.length;
    }
  });
  for (let i = 0; i < rows.length; i += DOMAIN_BATCH) {
    batch(rows.slice(i, i + DOMAIN_BATCH));
    if (rows.length > DOMAIN_BATCH) p.log(`domains ${Math.min(i + DOMAIN_BATCH, rows.length)}/${rows.length}`);
  }
  return { domains: rows.length, checks };
}
