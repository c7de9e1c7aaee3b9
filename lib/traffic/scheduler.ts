import { and, eq, inArray } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { rawReader, rawWriteTransaction } from "@/db/raw";
import { isLeader } from "@/lib/cluster/leader";
import { accounts, applications, environments, memberships, trafficAlerts, users } from "@/db/schema";
import type { Actor } from "@/lib/actions";
import { recordAudit } from "@/lib/audit/record";
import { rolesWith } from "@/lib/auth/permissions";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { composeMail, consoleLink } from "@/lib/mail";
import { log } from "@/lib/log";

// The traffic job (docs/traffic.md "Retention" and "Alerts"): every minute it drops minute rows older than 7 days,
// hour rows older than 90 days and push ids older than 2 days, and mails the owners and admins of an account when an
// environment's 5xx rate over the last 5 minutes passes the threshold an admin set (off unless set). Idempotent: the
// console and `npm run worker` may both run it; the alert is claimed with one UPDATE so only one process mails.

/** How long each kind of row is kept (ms). */
export const RETENTION_MS = { minutes: 7 * 86_400_000, hours: 90 * 86_400_000, pushes: 2 * 86_400_000 } as const;

/** The alert looks at this window (ms) and needs at least this many requests in it. */
export const ALERT_WINDOW_MS = 5 * 60_000;
export const ALERT_MIN_REQUESTS = 20;

/** At most one alert mail per environment per this period (ms). */
export const ALERT_REPEAT_MS = 30 * 60_000;

/** Deletes rows past their retention at `now` (epoch ms); returns how many rows went, per table. */
export async function pruneTraffic(now: number = Date.now()): Promise<Record<string, number>> {
  return rawWriteTransaction(async (db) => {
    const out: Record<string, number> = {};
    const del = async (table: string, column: string, before: number) =>
      (out[table] = await db.run(`DELETE FROM ${table} WHERE ${column} < ?`, [before]));
    await del("traffic_minutes", "at", now - RETENTION_MS.minutes);
    await del("traffic_node_minutes", "at", now - RETENTION_MS.minutes);
    await del("traffic_hours", "at", now - RETENTION_MS.hours);
    await del("traffic_node_hours", "at", now - RETENTION_MS.hours);
    await del("traffic_pushes", "received_at", now - RETENTION_MS.pushes);
    return out;
  });
}

/**
 * Sets (a percent from 1 to 100) or switches off (null) the 5xx alert of an environment, audited as
 * `traffic.alert` on the environment's account. Throws RangeError for another number.
 */
export async function setErrorAlert(
  environment: { id: number; accountId: number; name: string },
  thresholdPercent: number | null,
  actor: Actor,
) {
  if (thresholdPercent !== null && (!Number.isInteger(thresholdPercent) || thresholdPercent < 1 || thresholdPercent > 100)) {
    throw new RangeError("The threshold is a whole percent from 1 to 100.");
  }
  await writeTransaction(async (tx) => {
    if (thresholdPercent === null) await tx.delete(trafficAlerts).where(eq(trafficAlerts.environmentId, environment.id));
    else
      await tx
        .insert(trafficAlerts)
        .values({ environmentId: environment.id, thresholdPercent })
        .onConflictDoUpdate({ target: trafficAlerts.environmentId, set: { thresholdPercent } });
    await recordAudit(tx, {
      accountId: environment.accountId,
      actor,
      action: "traffic.alert",
      targetType: "environment",
      targetId: environment.id,
      targetLabel: environment.name,
      data: { thresholdPercent },
    });
  });
}

/** The 5xx alert threshold (percent) of an environment, or null when off. */
export async function errorAlertOf(environmentId: number): Promise<number | null> {
  const row = await first(getDb().select().from(trafficAlerts).where(eq(trafficAlerts.environmentId, environmentId)));
  return row?.thresholdPercent ?? null;
}

/**
 * Mails the owners and admins (`alerts.receive`) of each environment whose 5xx rate over the last 5 minutes (at least
 * 20 requests) is at or above its threshold, at most once per 30 minutes per environment. Returns the environments
 * alerted. A failed mail is logged by the mailer, never thrown.
 */
export async function checkErrorAlerts(now: number = Date.now()): Promise<number[]> {
  const due = await rawReader().rows<{ id: number; threshold: number; requests: number; s5: number }>(
    "SELECT a.environment_id AS id, a.threshold_percent AS threshold, sum(m.requests) AS requests, sum(m.status_5xx) AS s5 " +
      "FROM traffic_alerts a JOIN traffic_minutes m ON m.environment_id = a.environment_id AND m.at >= ? " +
      "WHERE a.last_alert_at IS NULL OR a.last_alert_at < ? GROUP BY a.environment_id, a.threshold_percent",
    [now - ALERT_WINDOW_MS, now - ALERT_REPEAT_MS],
  );
  const alerted: number[] = [];
  for (const d of due) {
    if (d.requests < ALERT_MIN_REQUESTS || (d.s5 / d.requests) * 100 < d.threshold) continue;
    const claimed = await rawWriteTransaction((db) =>
      db.run("UPDATE traffic_alerts SET last_alert_at = ? WHERE environment_id = ? AND (last_alert_at IS NULL OR last_alert_at < ?)", [
        now,
        d.id,
        now - ALERT_REPEAT_MS,
      ]),
    );
    if (!claimed) continue;
    const env = await first(
      getDb()
        .select({ env: environments, app: applications, accountName: accounts.name })
        .from(environments)
        .innerJoin(applications, eq(applications.id, environments.applicationId))
        .innerJoin(accounts, eq(accounts.id, environments.accountId))
        .where(eq(environments.id, d.id)),
    );
    if (!env) continue;
    const recipients = await getDb()
      .select({ email: users.email })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.accountId, env.env.accountId), inArray(memberships.role, [...rolesWith("alerts.receive")])));
    const rate = ((d.s5 / d.requests) * 100).toFixed(1);
    for (const { email } of recipients) {
      await sendMailQuietly(
        composeMail({
          to: email,
          subject: `${env.app.name} (${env.env.name}): ${rate} % of requests failed with 5xx`,
          paragraphs: [
            `Over the last 5 minutes, ${d.s5} of ${d.requests} requests to ${env.app.name} (${env.env.name}) in the account "${env.accountName}" were answered with a 5xx status: ${rate} %, at or above the alert threshold of ${d.threshold} %.`,
            "The traffic page shows when it started, and the recent requests their request ids.",
          ],
          action: {
            label: "Open the traffic page",
            url: consoleLink(
              `/account/${env.env.accountId}/application/${env.app.id}/environment/${encodeURIComponent(env.env.name)}/traffic`,
            ),
          },
          footer: "You receive this mail as an owner or admin of the account. The next one comes 30 minutes later at the earliest.",
        }),
      );
    }
    await writeTransaction(async (tx) => {
      await recordAudit(tx, {
        accountId: env.env.accountId,
        actor: null,
        action: "traffic.alert-mail",
        targetType: "environment",
        targetId: env.env.id,
        targetLabel: env.env.name,
        data: { requests: d.requests, status5xx: d.s5, thresholdPercent: d.threshold, recipients: recipients.length },
      });
    });
    alerted.push(d.id);
  }
  return alerted;
}

/** A running traffic job: `stop()` ends it. */
export type TrafficScheduler = { stop: () => void };

/** Starts the traffic job: prune and alerts now and every `intervalMs` (default one minute). Errors are logged. */
export function startTrafficScheduler(intervalMs = 60_000): TrafficScheduler {
  const run = () => {
    const now = Date.now();
    // Retention once per cluster (the leader's); alerts are claimed row by row, so every process may look.
    (isLeader() ? pruneTraffic(now) : Promise.resolve())
      .then(() => checkErrorAlerts(now))
      .catch((error: unknown) => log.error({ err: error }, "traffic job failed"));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
