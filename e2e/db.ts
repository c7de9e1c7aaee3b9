import { and, asc, count, eq, isNull, min, sql } from "drizzle-orm";
import { closeDb, getDb, writeTransaction, first } from "@/db";
import {
  accounts,
  applications,
  auditEvents,
  dnsChecks,
  domains,
  domainStatusSnapshots,
  emailTokens,
  environments,
  invitations,
  memberships,
  users,
} from "@/db/schema";
import { resetSettings } from "@/lib/config";
import { insertDomain } from "@/lib/domains/insert";
import { consoleEnv } from "./env";

// The running console's database, opened by the test process through the product's own db module (DATA_DIR of the
// e2e console; WAL and the busy timeout let both processes write in turn). For what the specs set up or read that
// no product function does: ageing a check, many domains for a pager, past snapshots, row counts. Everything else
// goes through the product's functions (e2e/people.ts).

let connected = false;

/** Points this process at the e2e console's settings (DATA_DIR, AUTH_SECRET, SMTP…) before the first query. */
export function connectToConsole(): void {
  if (connected) return;
  Object.assign(process.env, consoleEnv());
  resetSettings();
  connected = true;
}

/** Closes this process's connections to the console's database (they reopen on the next query). */
export async function disconnectFromConsole(): Promise<void> {
  await closeDb();
}

async function userIdOf(email: string): Promise<number> {
  connectToConsole();
  const row = await first(getDb().select({ id: users.id }).from(users).where(eq(users.email, email)));
  if (!row) throw new Error(`no user ${email}`);
  return row.id;
}

/** Number of go-live checks stored for a hostname. */
export async function countChecks(hostname: string): Promise<number> {
  connectToConsole();
  const row = await first(
    getDb()
      .select({ n: count() })
      .from(dnsChecks)
      .innerJoin(domains, eq(domains.id, dnsChecks.domainId))
      .where(eq(domains.hostname, hostname)),
  );
  return row?.n ?? 0;
}

/** What the API spec's "nothing written" checks compare: the rows of an account and its audit log. */
export async function accountFootprint(accountId: number) {
  connectToConsole();
  const db = getDb();
  const rows = async (table: typeof applications | typeof environments | typeof domains | typeof invitations | typeof auditEvents) =>
    (await first(db.select({ n: count() }).from(table).where(eq(table.accountId, accountId))))?.n ?? 0;
  const members = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(eq(memberships.accountId, accountId))
    .orderBy(asc(memberships.id));
  return {
    applications: await rows(applications),
    environments: await rows(environments),
    domains: await rows(domains),
    checks:
      (
        await first(
          db
            .select({ n: count() })
            .from(dnsChecks)
            .innerJoin(domains, eq(domains.id, dnsChecks.domainId))
            .where(eq(domains.accountId, accountId)),
        )
      )?.n ?? 0,
    memberships: members.length,
    roles: members.map((m) => m.role).join(","),
    invitations: await rows(invitations),
    audit: await rows(auditEvents),
    accounts: (await first(db.select({ n: count() }).from(accounts)))?.n ?? 0,
  };
}

/**
 * Sets an account's "require two-factor authentication" flag directly, as a test-only shortcut: the product's
 * `setRequireTwoFactor` rightly refuses an owner without it, and the API spec's owner has none.
 */
export async function setAccountRequiresTwoFactor(accountId: number, on: boolean): Promise<void> {
  connectToConsole();
  await writeTransaction(async (tx) => {
    await tx.update(accounts).set({ requireTwoFactor: on }).where(eq(accounts.id, accountId));
  });
}

/**
 * Moves the expiry of the user's mailed tokens of `kind` into the past — the oldest one, or every unused one — as
 * time passing would, without waiting a day.
 */
export async function expireEmailTokens(email: string, kind: "verify-email" | "reset-password", which: "oldest" | "unused"): Promise<void> {
  const userId = await userIdOf(email);
  const mine = and(eq(emailTokens.userId, userId), eq(emailTokens.kind, kind));
  await writeTransaction(async (tx) => {
    if (which === "oldest") {
      const oldest = await first(
        tx
          .select({ id: min(emailTokens.id) })
          .from(emailTokens)
          .where(mine),
      );
      if (oldest?.id == null) return;
      await tx
        .update(emailTokens)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(emailTokens.id, oldest.id));
    } else {
      await tx
        .update(emailTokens)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(and(mine, isNull(emailTokens.usedAt)));
    }
  });
}

/** Moves a domain's last check 11 s into the past, as waiting out the 10 s "Verify now" limit would. */
export async function ageLastCheck(hostname: string): Promise<void> {
  connectToConsole();
  await writeTransaction(async (tx) => {
    await tx
      .update(domains)
      .set({ lastCheckedAt: sql`${domains.lastCheckedAt} - 11000` })
      .where(eq(domains.hostname, hostname));
  });
}

/**
 * Adds `n` pending domains `<prefix>000.<suffix>`… (prefix `zz-bulk-` unless given) to the environment of `hostname`
 * (many rows for the pagers of /ops and the application page),
 * each inserted as the product inserts a domain (lib/domains/insert), without the DNS look-ups of "Add domain".
 */
export async function addBulkDomains(hostname: string, suffix: string, n: number, prefix = "zz-bulk-"): Promise<void> {
  connectToConsole();
  await writeTransaction(async (tx) => {
    const d = await first(tx.select().from(domains).where(eq(domains.hostname, hostname)));
    if (!d) throw new Error(`no domain ${hostname}`);
    for (let i = 0; i < n; i++) {
      const name = `${prefix}${String(i).padStart(3, "0")}.${suffix}`;
      await insertDomain(tx, {
        accountId: d.accountId,
        applicationId: d.applicationId,
        environmentId: d.environmentId,
        hostname: { hostname: name, unicode: name, isApex: false },
        ownershipRequired: false,
      });
    }
  });
}

/** Writes snapshots for the 14 days before today, as a running console's daily sweeps would have (for the chart). */
export async function addPastSnapshots(): Promise<void> {
  connectToConsole();
  await writeTransaction(async (tx) => {
    for (let ago = 14; ago >= 1; ago--) {
      const at = Date.now() - ago * 86_400_000;
      const day = new Date(at).toISOString().slice(0, 10);
      const counts = {
        live: 20 - ago,
        pending: 10 + (ago % 4),
        misconfigured: 3 + (ago % 3),
        nxdomain: 2,
        error: ago % 2,
        flagged: ago % 5 === 0 ? 2 : 0,
      };
      for (const [status, n] of Object.entries(counts)) {
        await tx
          .insert(domainStatusSnapshots)
          .values({ day, status, count: n, takenAt: new Date(at) })
          .onConflictDoUpdate({
            target: [domainStatusSnapshots.day, domainStatusSnapshots.status],
            set: { count: n, takenAt: new Date(at) },
          });
      }
    }
  });
}

/** An invitation's status (`pending`, `accepted`, `revoked`…), or undefined when there is no such invitation. */
export async function invitationStatus(invitationId: number): Promise<string | undefined> {
  connectToConsole();
  const row = await first(getDb().select({ status: invitations.status }).from(invitations).where(eq(invitations.id, invitationId)));
  return row?.status;
}

/** Number of invitations (of any account, in any state) to an address. */
export async function countInvitationsTo(email: string): Promise<number> {
  connectToConsole();
  return (await first(getDb().select({ n: count() }).from(invitations).where(eq(invitations.email, email))))?.n ?? 0;
}

/** Number of users with an email address (0 once deleted). */
export async function countUsers(email: string): Promise<number> {
  connectToConsole();
  return (await first(getDb().select({ n: count() }).from(users).where(eq(users.email, email))))?.n ?? 0;
}

/** Number of accounts with an id (0 once deleted). */
export async function countAccounts(accountId: number): Promise<number> {
  connectToConsole();
  return (await first(getDb().select({ n: count() }).from(accounts).where(eq(accounts.id, accountId))))?.n ?? 0;
}

/** Number of domain rows on the platform: all, with a status, or flagged (counted from the rows themselves). */
export async function countDomains(
  which: { status?: "pending" | "live" | "misconfigured" | "nxdomain" | "error"; flagged?: true } = {},
): Promise<number> {
  connectToConsole();
  const where = and(which.status ? eq(domains.status, which.status) : undefined, which.flagged ? eq(domains.flagged, true) : undefined);
  return (await first(getDb().select({ n: count() }).from(domains).where(where)))?.n ?? 0;
}
