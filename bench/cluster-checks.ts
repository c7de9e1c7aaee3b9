import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

// The consistency checks that end `npm run bench -- cluster` (bench/cluster.ts), run after every console process
// has stopped: the repositories (git fsck), rows against repositories and branches, the status counters, and the
// go-live checks the workers stored (no domain checked twice for one due time, none left overdue).

const run = promisify(execFile);

/** One check's verdict: `ok`, and the line the report prints. */
export type CheckResult = { name: string; ok: boolean; detail: string };

/** The shortest delay a stored check sets before the domain is due again: 0.9 × 1 minute (lib/dns/go-live `nextCheckDelayMs`). */
export const MIN_RECHECK_MS = 54_000;

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** `git fsck --strict` on every repository under `DATA_DIR/repositories`. */
export async function fsckRepositories(dataDir: string): Promise<CheckResult> {
  const root = path.join(dataDir, "repositories");
  const names = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => n.endsWith(".git")) : [];
  const failed: string[] = [];
  await pool(names, 2, async (name) => {
    try {
      await run("git", ["--git-dir", path.join(root, name), "fsck", "--strict", "--no-progress"], { timeout: 120_000 });
    } catch (error) {
      failed.push(
        `${name}: ${
          String((error as { stderr?: string }).stderr ?? error)
            .trim()
            .split("\n")[0]
        }`,
      );
    }
  });
  return {
    name: "git fsck --strict",
    ok: failed.length === 0,
    detail: `${names.length - failed.length} of ${names.length} repositories pass${failed.length ? `; failed: ${failed.slice(0, 5).join("; ")}` : ""}`,
  };
}

/**
 * Rows against repositories: every `applications` row has its repository folder, every environment row its branch,
 * and no repository folder lacks a row. A request killed in flight may leave what the leader's leftovers check settles
 * later (lib/maintenance/leftovers.ts, every 10 minutes): the repository of a creation whose rows never committed (an
 * orphan), or a deletion's repository moved to `archive/` with the row still there. Those count as explained when there
 * are no more of them than creations (resp. deletions) killed in flight; anything else fails.
 */
export async function rowsAgainstRepositories(
  client: pg.Client,
  dataDir: string,
  killed: { creates: number; deletes: number },
): Promise<CheckResult> {
  const root = path.join(dataDir, "repositories");
  const onDisk = new Set(fs.existsSync(root) ? fs.readdirSync(root) : []);
  const archived = fs.existsSync(path.join(dataDir, "archive")) ? fs.readdirSync(path.join(dataDir, "archive")) : [];
  const apps = (await client.query<{ id: string; repo_dir: string }>("SELECT id, repo_dir FROM applications ORDER BY id")).rows;
  const envs = (await client.query<{ application_id: string; name: string }>("SELECT application_id, name FROM environments")).rows;
  const missing: string[] = [];
  const inArchive: string[] = [];
  for (const app of apps) {
    if (onDisk.has(app.repo_dir)) continue;
    const stem = app.repo_dir.replace(/\.git$/, "");
    (archived.some((a) => a.startsWith(`${stem}-`)) ? inArchive : missing).push(`#${app.id} ${app.repo_dir}`);
  }
  const referenced = new Set(apps.map((a) => a.repo_dir));
  const orphans = [...onDisk].filter((name) => !referenced.has(name));

  const branchesOf = new Map<string, Set<string>>();
  await pool(
    apps.filter((a) => onDisk.has(a.repo_dir)),
    4,
    async (app) => {
      const { stdout } = await run("git", [
        "--git-dir",
        path.join(root, app.repo_dir),
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads",
      ]);
      branchesOf.set(app.id, new Set(stdout.split("\n").filter(Boolean)));
    },
  );
  const noBranch = envs
    .filter((e) => branchesOf.has(e.application_id) && !branchesOf.get(e.application_id)!.has(e.name))
    .map((e) => `app #${e.application_id} ${e.name}`);

  const explained = orphans.length <= killed.creates && inArchive.length <= killed.deletes;
  const ok = missing.length === 0 && noBranch.length === 0 && explained;
  const parts = [
    `${apps.length} applications, ${envs.length} environments, ${onDisk.size} repositories`,
    `rows without repository ${missing.length}${missing.length ? ` (${missing.slice(0, 3).join(", ")})` : ""}`,
    `environments without branch ${noBranch.length}${noBranch.length ? ` (${noBranch.slice(0, 3).join(", ")})` : ""}`,
    `orphan repositories ${orphans.length}${orphans.length ? ` (${orphans.slice(0, 3).join(", ")}; creations killed in flight: ${killed.creates})` : ""}`,
    `rows whose repository is in archive/ ${inArchive.length}${inArchive.length ? ` (deletions killed in flight: ${killed.deletes})` : ""}`,
  ];
  return { name: "rows ↔ repositories", ok, detail: parts.join("; ") };
}

/** The per-status counters /ops reads (domain_status_counts plus unfolded deltas) against a count of the domains. */
export async function statusCounters(client: pg.Client): Promise<CheckResult> {
  const counters = new Map(
    (
      await client.query<{ status: string; count: string }>(
        "SELECT c.status, c.count + coalesce(d.delta, 0) AS count FROM domain_status_counts c " +
          "LEFT JOIN (SELECT status, sum(delta) AS delta FROM domain_status_deltas GROUP BY status) d ON d.status = c.status",
      )
    ).rows.map((r) => [r.status, Number(r.count)]),
  );
  const actual = new Map(
    (
      await client.query<{ status: string; count: string }>(
        "SELECT status, count(*) AS count FROM domains GROUP BY status UNION ALL SELECT 'flagged', count(*) FROM domains WHERE flagged = 1",
      )
    ).rows.map((r) => [r.status, Number(r.count)]),
  );
  const wrong = [...counters].filter(([status, n]) => (actual.get(status) ?? 0) !== n).map(([s, n]) => `${s} ${n} ≠ ${actual.get(s) ?? 0}`);
  const shown = [...actual].map(([s, n]) => `${s} ${n}`).join(", ");
  return {
    name: "status counters",
    ok: wrong.length === 0,
    detail: wrong.length ? `differ: ${wrong.join(", ")}` : `equal to the domains (${shown})`,
  };
}

/** The background checks of each resolver (each worker has its own DNS port, so the resolver names the worker). */
const BY_WORKER_SQL = `SELECT resolver, count(*) AS checks, count(DISTINCT domain_id) AS domains
  FROM dns_checks WHERE NOT (records ? 'verifyNow') GROUP BY resolver ORDER BY resolver`;

/**
 * Two background checks of one domain with no background check between them, less than MIN_RECHECK_MS apart. Each
 * stored check sets the domain's next due time at least MIN_RECHECK_MS after its own check time, and a sweep claims
 * a domain only when that due time has come (at the sweep's `now`, which is also the stored check time), so two such
 * checks claimed one due time twice.
 */
export const DOUBLE_CHECK_SQL = `SELECT domain_id, prev_resolver, resolver, prev_at, checked_at FROM (
    SELECT domain_id, resolver, checked_at,
           lag(checked_at) OVER w AS prev_at, lag(resolver) OVER w AS prev_resolver
    FROM dns_checks WHERE NOT (records ? 'verifyNow')
    WINDOW w AS (PARTITION BY domain_id ORDER BY checked_at, id)
  ) c WHERE checked_at - prev_at < ${MIN_RECHECK_MS} ORDER BY domain_id, checked_at`;

/** Domains due (next_check_at, or created_at when never checked) and free of any lease since `before`, yet not checked. */
const OVERDUE_SQL = `SELECT id, hostname, created_at, next_check_at, lease_until FROM domains
  WHERE coalesce(next_check_at, created_at) <= $1 AND (lease_until IS NULL OR lease_until <= $1) AND (last_checked_at IS NULL OR last_checked_at < coalesce(next_check_at, created_at))
  ORDER BY id`;

/**
 * The go-live checks stored during the run: per worker, no domain checked twice for one due time (DOUBLE_CHECK_SQL),
 * and no domain left unchecked that was due more than `slackMs` before the workers stopped at `stoppedAt` (OVERDUE_SQL).
 * Checks of domains deleted during the run went with them (ON DELETE CASCADE), so this covers the surviving domains.
 */
export async function domainChecks(
  client: pg.Client,
  workers: Map<string, string>,
  stoppedAt: number,
  slackMs: number,
): Promise<{ result: CheckResult; lines: string[] }> {
  const lines: string[] = [];
  const byWorker = (await client.query<{ resolver: string; checks: string; domains: string }>(BY_WORKER_SQL)).rows;
  const verifyNow = (await client.query<{ n: string }>("SELECT count(*) AS n FROM dns_checks WHERE records ? 'verifyNow'")).rows[0].n;
  for (const r of byWorker) lines.push(`  ${workers.get(r.resolver) ?? r.resolver}: ${r.checks} background checks of ${r.domains} domains`);
  lines.push(`  Verify now (web instances): ${verifyNow} checks`);
  const doubles = (
    await client.query<{ domain_id: string; prev_resolver: string; resolver: string; prev_at: string; checked_at: string }>(
      DOUBLE_CHECK_SQL,
    )
  ).rows;
  const byTwo = doubles.filter((d) => d.prev_resolver !== d.resolver);
  for (const d of doubles.slice(0, 10)) {
    lines.push(
      `  double: domain #${d.domain_id} by ${workers.get(d.prev_resolver) ?? d.prev_resolver} at ${new Date(Number(d.prev_at)).toISOString()} and ${workers.get(d.resolver) ?? d.resolver} ${Number(d.checked_at) - Number(d.prev_at)} ms later`,
    );
  }
  const overdue = (await client.query<{ id: string; hostname: string }>(OVERDUE_SQL, [stoppedAt - slackMs])).rows;
  for (const o of overdue.slice(0, 10)) lines.push(`  overdue: domain #${o.id} ${o.hostname}`);
  const total = byWorker.reduce((s, r) => s + Number(r.checks), 0);
  return {
    lines,
    result: {
      name: "one worker per due time",
      ok: doubles.length === 0 && overdue.length === 0 && byWorker.length > 0,
      detail:
        `${total} background checks by ${byWorker.length} workers; checked twice for one due time: ${doubles.length} ` +
        `(${byTwo.length} by two workers); due > ${Math.round(slackMs / 1000)} s before the stop and never checked: ${overdue.length}`,
    },
  };
}
