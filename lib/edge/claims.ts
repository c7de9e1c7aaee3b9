import { and, asc, eq, inArray, isNull, lte, ne, or, sql } from "drizzle-orm";
import { dialect, execute, getDb, writeTransaction, type Tx, first, one, isUniqueViolation } from "@/db";
import { accounts, applications, domainClaims, domains, environments, memberships, users } from "@/db/schema";
import type { DomainRow, EnvironmentRow } from "@/db/types";
import { NOT_FOUND_MESSAGE } from "@/lib/actions/messages";
import { recordAudit } from "@/lib/audit/record";
import { rolesWith } from "@/lib/auth/permissions";
import { txtHoldsToken } from "@/lib/dns/classify";
import { challengeName } from "@/lib/dns/observe";
import { createResolver, dnsErrorCode, type Resolver } from "@/lib/dns/resolver";
import { insertDomain } from "@/lib/domains/insert";
import { addDomain, HOSTNAME_TAKEN, type ManageDomainResult } from "@/lib/domains/manage";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { noteEdgeChange } from "./changes";
import { composeMail, consoleLink } from "@/lib/mail/index";
import { actorMay, auditActor, type Actor } from "@/lib/repositories/changes";
import { newVerificationToken } from "@/lib/tokens/verification-token";
import { log } from "@/lib/log";

// Claims on hostnames another account holds (docs/product.md §3.5, "Ownership"): adding a hostname that another
// account's environment serves creates a claim instead of failing; whoever publishes `TXT _edge-challenge.<hostname>`
// with the claim's token gets the hostname. The checker (background sweep and "Verify now") moves the name in one
// transaction, mails the previous holder's owners and admins, and writes an audit row in both accounts.

/** A row of `domain_claims`. */
export type DomainClaimRow = typeof domainClaims.$inferSelect;

/** "Verify now" on one claim runs at most once per this many milliseconds (as for domains, docs/product.md §3.5). */
export const CLAIM_VERIFY_NOW_INTERVAL_MS = 10_000;

/** The TXT record a claimant publishes: `_edge-challenge.<hostname>` holding the claim's token (docs/product.md §3.5). */
export function claimRecord(claim: Pick<DomainClaimRow, "hostname" | "verificationToken">): { type: "TXT"; name: string; value: string } {
  return { type: "TXT", name: challengeName(claim.hostname), value: claim.verificationToken };
}

/** The sentence shown with a claim: what to publish and what happens then. */
export function claimInstructions(claim: Pick<DomainClaimRow, "hostname" | "hostnameUnicode" | "verificationToken">): string {
  const r = claimRecord(claim);
  return (
    `${claim.hostnameUnicode} is used by another account. To take it over, publish ${r.type} ${r.name} with the value ` +
    `${r.value}; once the console sees it, the hostname moves to this environment and the other account is told.`
  );
}

/** What adding a hostname gave: a new domain, a claim (new or already there), or a refusal. */
export type AddOrClaimResult =
  | { ok: true; kind: "domain"; domain: DomainRow }
  | { ok: true; kind: "claim"; claim: DomainClaimRow; created: boolean }
  | { ok: false; code: "not_found" | "taken"; message: string };

/**
 * Adds `hostname` to the environment (lib/domains/manage `addDomain`; the account's own claims on that hostname are
 * then removed); when another account's environment holds it, creates a claim instead (docs/product.md §3.5): one transaction re-reads the environment and the actor's
 * "domain.manage" right, inserts the `domain_claims` row with a fresh token (160 bits, lower-case base32) and writes
 * the `domain.claim` audit row. A hostname held in the same account keeps the `taken` refusal; a claim that already
 * exists for this environment is returned as it is (`created: false`). Same parameters as `addDomain`.
 */
export async function addDomainOrClaim(params: Parameters<typeof addDomain>[0]): Promise<AddOrClaimResult> {
  // Twice at most: the holder may remove the hostname between the refused insert and the claim.
  for (let attempt = 0; attempt < 2; attempt++) {
    const added: ManageDomainResult = await addDomain(params);
    if (added.ok) {
      // The hostname was free after all (its holder removed it): the account's own claims on it are settled.
      await writeTransaction((tx) => deleteAccountClaims(tx, added.domain.hostname, added.domain.accountId));
      return { ok: true, kind: "domain", domain: added.domain };
    }
    if (added.code !== "taken") return added;
    const claimed = await claimHostname(params);
    if (claimed !== "freed") return claimed;
  }
  return { ok: false, code: "taken", message: HOSTNAME_TAKEN };
}

async function claimHostname(params: Parameters<typeof addDomain>[0]): Promise<AddOrClaimResult | "freed"> {
  return writeTransaction(async (tx): Promise<AddOrClaimResult | "freed"> => {
    await lockHostname(params.hostname.hostname);
    const env = await first(tx.select().from(environments).where(eq(environments.id, params.environment.id)));
    if (!env || !(await actorMay(env.accountId, params.actor, "domain.manage")))
      return { ok: false, code: "not_found", message: NOT_FOUND_MESSAGE };
    if (await accountClaimElsewhere(params.hostname.hostname, env.accountId, env.id))
      return { ok: false, code: "taken", message: claimedElsewhereMessage(params.hostname.unicode) };
    const holder = await first(
      tx.select({ accountId: domains.accountId }).from(domains).where(eq(domains.hostname, params.hostname.hostname)),
    );
    if (!holder) return "freed";
    if (holder.accountId === env.accountId) return { ok: false, code: "taken", message: HOSTNAME_TAKEN };
    return { ok: true, kind: "claim", ...(await insertClaim(tx, { environment: env, hostname: params.hostname, actor: params.actor })) };
  });
}

/** The environment a claim or domain is written for. */
type ClaimTarget = Pick<EnvironmentRow, "id" | "accountId" | "applicationId" | "name">;

/**
 * Inside the caller's write transaction: the environment's claim on `hostname`, made now (a fresh token: 160 bits,
 * lower-case base32; audit row `domain.claim` by `actor`) unless the environment has one already (`created: false`).
 * The caller has checked that another account holds the hostname.
 */
async function insertClaim(
  tx: Tx,
  params: { environment: ClaimTarget; hostname: { hostname: string; unicode: string }; actor: Actor },
): Promise<{ claim: DomainClaimRow; created: boolean }> {
  const { environment: env, hostname: host } = params;
  const existing = await first(
    tx
      .select()
      .from(domainClaims)
      .where(and(eq(domainClaims.hostname, host.hostname), eq(domainClaims.environmentId, env.id))),
  );
  if (existing) return { claim: existing, created: false };
  const claim = await one(
    tx
      .insert(domainClaims)
      .values({
        hostname: host.hostname,
        hostnameUnicode: host.unicode,
        accountId: env.accountId,
        applicationId: env.applicationId,
        environmentId: env.id,
        verificationToken: newVerificationToken(),
        createdBy: params.actor.id,
      })
      .returning(),
  );
  await recordAudit(tx, {
    accountId: env.accountId,
    actor: auditActor(params.actor),
    action: "domain.claim",
    targetType: "domain_claim",
    targetId: claim.id,
    targetLabel: claim.hostname,
    data: { applicationId: env.applicationId, environment: env.name },
  });
  return { claim, created: true };
}

/** Inside the caller's write transaction: removes every claim of `accountId` on `hostname` (it holds the name now). */
async function deleteAccountClaims(tx: Tx, hostname: string, accountId: number): Promise<void> {
  await tx.delete(domainClaims).where(and(eq(domainClaims.hostname, hostname), eq(domainClaims.accountId, accountId)));
}

/** What {@link insertDomainOrClaim} wrote: a domain, a claim (new or already there), or nothing (`taken`). */
export type DomainOrClaim =
  { kind: "domain"; domain: DomainRow } | { kind: "claim"; claim: DomainClaimRow; created: boolean } | { kind: "taken" };

/**
 * The hostname of a new application or environment (docs/product.md §3.3, §3.4), inside the transaction that writes
 * its other rows, so the rows and the claim are one unit: a domain row (lib/domains/insert; the account's own claims
 * on the hostname are then settled) when nobody holds the hostname; a claim (docs/product.md §3.5: as "Add domain"
 * makes one) when another account's environment holds it; `taken`, writing nothing, when this account holds it
 * ("Remove it there first"). The caller answers `taken` before it writes anything, or rolls back.
 */
export async function insertDomainOrClaim(
  tx: Tx,
  params: {
    environment: ClaimTarget;
    hostname: { hostname: string; unicode: string; isApex: boolean };
    ownershipRequired: boolean;
    actor: Actor;
  },
): Promise<DomainOrClaim> {
  const { environment: env, hostname: host } = params;
  const holder = await first(tx.select({ accountId: domains.accountId }).from(domains).where(eq(domains.hostname, host.hostname)));
  if (holder?.accountId === env.accountId) return { kind: "taken" };
  if (holder) return { kind: "claim", ...(await insertClaim(tx, params)) };
  const domain = await insertDomain(tx, {
    accountId: env.accountId,
    applicationId: env.applicationId,
    environmentId: env.id,
    hostname: host,
    ownershipRequired: params.ownershipRequired,
  });
  await deleteAccountClaims(tx, host.hostname, env.accountId);
  return { kind: "domain", domain };
}

/**
 * Thrown by a creation's transaction when its own account took the hostname after the creation's holder check
 * (another transaction committed in between, under READ COMMITTED): it rolls the transaction back, and
 * {@link retryOnHostnameRace} runs it again.
 */
export class HostnameRace extends Error {
  constructor(hostname: string) {
    super(`${hostname} was taken by this account inside the transaction`);
  }
}

/**
 * Runs `write` (a creation's write transaction, READ COMMITTED on PostgreSQL) again, at most 3 times in all, when
 * another transaction committed the same hostname between its holder check and its insert (UNIQUE domains.hostname,
 * or {@link HostnameRace}): the next run sees that holder, so the hostname becomes a claim (another account holds
 * it) or "hostname taken" (this account does), as if the two had not overlapped. Other errors, and a third race,
 * are thrown.
 */
export async function retryOnHostnameRace<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= 3 || !(err instanceof HostnameRace || isUniqueViolation(err, "domains.hostname"))) throw err;
    }
  }
}

/**
 * PostgreSQL: a transaction-level advisory lock on `hostname` (`pg_advisory_xact_lock(hashtext(…))`), held until the
 * caller's write transaction ends, so two transactions that may add or claim the same hostname run one after the
 * other: the second, READ COMMITTED, then reads what the first committed. SQLite: nothing (the single writer). Call
 * it first in the transaction, before reading the holder or the claims.
 */
export async function lockHostname(hostname: string): Promise<void> {
  if (dialect() !== "postgres") return;
  await execute(sql`select pg_advisory_xact_lock(hashtext(${`edge-console hostname ${hostname}`}))`);
}

/**
 * The claim `accountId` already has on `hostname` for an environment other than `exceptEnvironmentId` (any, when
 * omitted), or null. An account claims a hostname for one environment at a time, as it holds it in one at a time.
 */
export async function accountClaimElsewhere(
  hostname: string,
  accountId: number,
  exceptEnvironmentId?: number,
): Promise<DomainClaimRow | null> {
  const conditions = [eq(domainClaims.hostname, hostname), eq(domainClaims.accountId, accountId)];
  if (exceptEnvironmentId !== undefined) conditions.push(ne(domainClaims.environmentId, exceptEnvironmentId));
  return (
    (await first(
      getDb()
        .select()
        .from(domainClaims)
        .where(and(...conditions)),
    )) ?? null
  );
}

/** The refusal for a hostname this account already claims elsewhere (docs/product.md §3.5). */
export function claimedElsewhereMessage(unicode: string): string {
  return `This account already claims ${unicode} for another environment. Withdraw that claim first, or choose another.`;
}

/**
 * Whether the hostname is held, and by whom relative to `accountId` (null: not known yet, e.g. a new account): `free`,
 * `same-account` (refused: "Remove it there first"), or `other-account` (creating makes a claim). Reads only.
 */
export async function hostnameHolder(hostname: string, accountId: number | null): Promise<"free" | "same-account" | "other-account"> {
  const holder = await first(getDb().select({ accountId: domains.accountId }).from(domains).where(eq(domains.hostname, hostname)));
  if (!holder) return "free";
  return holder.accountId === accountId ? "same-account" : "other-account";
}

/** The claims of an environment, oldest first. */
export async function listEnvironmentClaims(environmentId: number): Promise<DomainClaimRow[]> {
  return getDb()
    .select()
    .from(domainClaims)
    .where(eq(domainClaims.environmentId, environmentId))
    .orderBy(asc(domainClaims.createdAt), asc(domainClaims.id));
}

/** One claim by id, or null. */
export async function getClaim(claimId: number): Promise<DomainClaimRow | null> {
  return (await first(getDb().select().from(domainClaims).where(eq(domainClaims.id, claimId)))) ?? null;
}

/**
 * Withdraws a claim: one transaction re-reads it and the actor's "domain.manage" right in its account, deletes it
 * and writes the `domain.claim.withdraw` audit row. A missing claim or a caller without the right gets `not_found`.
 */
export async function withdrawClaim(params: { claimId: number; actor: Actor }): Promise<{ ok: true } | { ok: false; message: string }> {
  return writeTransaction(async (tx) => {
    const claim = await first(tx.select().from(domainClaims).where(eq(domainClaims.id, params.claimId)));
    if (!claim || !(await actorMay(claim.accountId, params.actor, "domain.manage")))
      return { ok: false as const, message: NOT_FOUND_MESSAGE };
    await tx.delete(domainClaims).where(eq(domainClaims.id, claim.id));
    await recordAudit(tx, {
      accountId: claim.accountId,
      actor: auditActor(params.actor),
      action: "domain.claim.withdraw",
      targetType: "domain_claim",
      targetId: claim.id,
      targetLabel: claim.hostname,
      data: { applicationId: claim.applicationId, environmentId: claim.environmentId },
    });
    return { ok: true as const };
  });
}

/**
 * What one claim check did: `waiting` (the TXT record does not hold the token yet; `result` says what was found),
 * `moved` (the hostname now belongs to the claimant: `domain` is its new row, `mailed` how many of the previous
 * holder's owners and admins were told), `too-soon` (a "Verify now" less than 10 s ago; `waitSeconds` left), or
 * `not-found` (the claim was withdrawn or settled meanwhile).
 */
export type ClaimCheckResult =
  | { result: "waiting"; claim: DomainClaimRow; message: string }
  | { result: "moved"; domain: DomainRow; previousAccountId: number | null; mailed: number }
  | { result: "too-soon"; waitSeconds: number }
  | { result: "not-found" };

/** Reads the TXT values of `_edge-challenge.<hostname>`: the strings, or the resolver's error code (NXDOMAIN/NODATA = none). */
async function readChallenge(hostname: string, resolver: Resolver): Promise<{ txt: string[] } | { errorCode: string }> {
  try {
    return { txt: (await resolver.resolveTxt(challengeName(hostname))).map((chunks) => chunks.join("")) };
  } catch (error) {
    const code = dnsErrorCode(error);
    if (code === "ENODATA" || code === "ENOTFOUND") return { txt: [] };
    return { errorCode: code };
  }
}

/**
 * Checks one claim (docs/product.md §3.5). A claim whose account holds the hostname already is settled (removed,
 * `not-found`) with no lookup. Otherwise it asks `TXT _edge-challenge.<hostname>` through `resolver` (default: the
 * configured one, `DNS_SERVERS`) with no transaction open. When one value is the claim's token (compared as for
 * domains, lib/dns/classify `txtHoldsToken`), `transferHostname` moves the name; otherwise the claim's
 * `last_checked_at` and `last_result` are updated. `verifyNow` applies the 10 s limit per claim. Never throws for DNS
 * reasons.
 */
export async function checkClaim(
  claimId: number,
  options: { resolver?: Resolver; now?: Date; verifyNow?: boolean } = {},
): Promise<ClaimCheckResult> {
  const now = options.now ?? new Date();
  const claim = await getClaim(claimId);
  if (!claim) return { result: "not-found" };
  if (options.verifyNow && claim.lastCheckedAt) {
    const wait = claim.lastCheckedAt.getTime() + CLAIM_VERIFY_NOW_INTERVAL_MS - now.getTime();
    if (wait > 0) return { result: "too-soon", waitSeconds: Math.ceil(wait / 1000) };
  }
  // A claim on a hostname its own account holds already is stale (a creation under READ COMMITTED inserted it while a
  // transfer to the same account committed, docs/architecture.md "Creations and deletions under READ COMMITTED"): settle it, no DNS.
  if ((await hostnameHolder(claim.hostname, claim.accountId)) === "same-account" && (await settleHeldClaims(claim))) {
    return { result: "not-found" };
  }
  const found = await readChallenge(claim.hostname, options.resolver ?? createResolver());
  if ("txt" in found && txtHoldsToken(found.txt, claim.verificationToken)) return transferHostname(claim.id, now);
  const record = claimRecord(claim);
  const message =
    "errorCode" in found
      ? `The DNS lookup of ${record.name} failed (${found.errorCode}); it is tried again.`
      : found.txt.length === 0
        ? `No TXT record at ${record.name} yet.`
        : `${record.name} holds ${found.txt.map((t) => `"${t}"`).join(", ")}, not this claim's token.`;
  const updated = await writeTransaction((tx) =>
    first(tx.update(domainClaims).set({ lastCheckedAt: now, lastResult: message }).where(eq(domainClaims.id, claim.id)).returning()),
  );
  if (!updated) return { result: "not-found" };
  return { result: "waiting", claim: updated, message };
}

/**
 * Removes the claims of `claim`'s account on its hostname when, read again in this transaction, that account holds
 * the hostname; true when it did. Never moves anything: whoever holds the hostname by now, a claim still needs its
 * TXT proof to take it (`transferHostname`).
 */
async function settleHeldClaims(claim: Pick<DomainClaimRow, "hostname" | "accountId">): Promise<boolean> {
  return writeTransaction(async (tx) => {
    const holder = await first(tx.select({ accountId: domains.accountId }).from(domains).where(eq(domains.hostname, claim.hostname)));
    if (holder?.accountId !== claim.accountId) return false;
    await deleteAccountClaims(tx, claim.hostname, claim.accountId);
    return true;
  });
}

/**
 * Moves a claimed hostname to the claimant, in one transaction (docs/product.md §3.5): the claim is re-read (gone, or
 * the claimant's account holds the hostname already: its claims on it are removed → `not-found`); the previous holder's domain row is deleted (its checks go with it); a domain row is created on the
 * claimant's environment with the claim's token and the ownership proof recorded now; every claim on the hostname is
 * removed; `domain.claim.won` (claimant) and `domain.claim.lost` (previous holder) audit rows are written. Then,
 * outside the transaction, the edge is told (`noteEdgeChange` for both environments) and the previous holder's owners
 * and admins (`alerts.receive`) are mailed.
 */
export async function transferHostname(claimId: number, now: Date = new Date()): Promise<ClaimCheckResult> {
  // Run again when a creation (READ COMMITTED) inserted the hostname after this transaction found it free.
  const moved = await retryOnHostnameRace(() =>
    writeTransaction(async (tx) => {
      const claim = await first(tx.select().from(domainClaims).where(eq(domainClaims.id, claimId)));
      if (!claim) return null;
      const env = await first(tx.select().from(environments).where(eq(environments.id, claim.environmentId)));
      if (!env) return null;
      const previous = await first(tx.select().from(domains).where(eq(domains.hostname, claim.hostname)));
      if (previous?.accountId === claim.accountId) {
        // The account holds the hostname already (added once it was free): nothing to move, its claims are settled.
        await deleteAccountClaims(tx, claim.hostname, claim.accountId);
        return null;
      }
      if (previous) {
        await tx.delete(domains).where(eq(domains.id, previous.id));
        await recordAudit(tx, {
          accountId: previous.accountId,
          actor: null,
          action: "domain.claim.lost",
          targetType: "domain",
          targetId: previous.id,
          targetLabel: previous.hostname,
          data: { applicationId: previous.applicationId, environmentId: previous.environmentId, status: previous.status },
          at: now,
        });
      }
      const isApex = previous?.isApex ?? false;
      const domain = await one(
        tx
          .insert(domains)
          .values({
            accountId: claim.accountId,
            applicationId: claim.applicationId,
            environmentId: claim.environmentId,
            hostname: claim.hostname,
            hostnameUnicode: claim.hostnameUnicode,
            isApex,
            verificationToken: claim.verificationToken,
            ownershipRequired: true,
            ownershipProvenAt: now,
          })
          .returning(),
      );
      await tx.delete(domainClaims).where(eq(domainClaims.hostname, claim.hostname));
      await recordAudit(tx, {
        accountId: claim.accountId,
        actor: null,
        action: "domain.claim.won",
        targetType: "domain",
        targetId: domain.id,
        targetLabel: domain.hostname,
        data: { applicationId: claim.applicationId, environment: env.name, previousAccountId: previous?.accountId ?? null },
        at: now,
      });
      return { domain, previous: previous ?? null };
    }),
  );
  if (!moved) return { result: "not-found" };
  // Both environments serve something else now (docs/edge.md "Versions": claim).
  await noteEdgeChange({ environmentId: moved.domain.environmentId });
  if (moved.previous) await noteEdgeChange({ environmentId: moved.previous.environmentId });
  const mailed = moved.previous ? await mailPreviousHolder(moved.previous, moved.domain) : 0;
  return { result: "moved", domain: moved.domain, previousAccountId: moved.previous?.accountId ?? null, mailed };
}

/** Mails the owners and admins of the account that lost `lost` to a claim; returns how many mails were sent. */
async function mailPreviousHolder(lost: DomainRow, won: DomainRow): Promise<number> {
  const db = getDb();
  const context = await first(
    db
      .select({ account: accounts, application: applications })
      .from(applications)
      .innerJoin(accounts, eq(accounts.id, applications.accountId))
      .where(eq(applications.id, lost.applicationId)),
  );
  if (!context) return 0;
  const recipients = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, lost.accountId), inArray(memberships.role, [...rolesWith("alerts.receive")])));
  let sent = 0;
  for (const { email } of recipients) {
    const mail = composeMail({
      to: email,
      subject: `${won.hostnameUnicode} moved to another account`,
      paragraphs: [
        `${won.hostnameUnicode} was a domain of the application "${context.application.name}" in the account "${context.account.name}".`,
        `Another account published the ownership proof TXT ${challengeName(won.hostname)} for it, so the hostname now belongs to that account and is no longer served for yours.`,
        "If this is unexpected, whoever controls the DNS of this name published the record: check who can change your DNS.",
      ],
      action: { label: "Open the application", url: consoleLink(`/account/${context.account.id}/application/${context.application.id}`) },
      footer: "You receive this mail as an owner or admin of the account.",
    });
    if (await sendMailQuietly(mail)) sent++;
  }
  return sent;
}

/**
 * How long after its last check a claim is checked again by the background sweep: 1 minute while the claim is under
 * an hour old, then 15 minutes (a claim waits for a person to publish a record).
 */
export function claimRecheckMs(claim: Pick<DomainClaimRow, "createdAt">, now: Date): number {
  return now.getTime() - claim.createdAt.getTime() < 3_600_000 ? 60_000 : 900_000;
}

/**
 * The background part (docs/product.md §3.5): checks up to `limit` (default 200) claims that are due — never checked,
 * or last checked longer ago than `claimRecheckMs` — one at a time through `resolver`. Returns how many were checked
 * and how many moved a hostname. Errors of one claim are logged and the others go on.
 */
export async function checkDueClaims(
  options: { now?: Date; resolver?: Resolver; limit?: number } = {},
): Promise<{ checked: number; moved: number }> {
  const now = options.now ?? new Date();
  const candidates = await getDb()
    .select()
    .from(domainClaims)
    .where(or(isNull(domainClaims.lastCheckedAt), lte(domainClaims.lastCheckedAt, new Date(now.getTime() - 60_000))))
    .orderBy(asc(domainClaims.lastCheckedAt), asc(domainClaims.id))
    .limit(options.limit ?? 200);
  const resolver = options.resolver ?? createResolver();
  let checked = 0;
  let moved = 0;
  for (const claim of candidates) {
    if (claim.lastCheckedAt && now.getTime() - claim.lastCheckedAt.getTime() < claimRecheckMs(claim, now)) continue;
    try {
      const r = await checkClaim(claim.id, { resolver, now });
      if (r.result === "moved") moved++;
      if (r.result !== "not-found") checked++;
    } catch (error) {
      log.error({ err: error }, `[claims] check of claim #${claim.id} failed`);
    }
  }
  return { checked, moved };
}
