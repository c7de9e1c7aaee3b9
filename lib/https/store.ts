import { and, eq, sql } from "drizzle-orm";
import { execute, getDb, writeTransaction, first } from "@/db";
import { domainCertificates, domains, environments, type CertificateSource, type CertificateState } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { settings } from "@/lib/config";
import { checkOwnCertificate, type CertificateFieldError, type CertificateFacts } from "./certificate";
import { bumpEdgeEnvironment, certificateKeyContext } from "./edge";
import { sealPrivateKey } from "./secret-box";
import { ACME_OFF_MESSAGE, acmeEnabled, RENEW_NOW_INTERVAL_MS } from "./settings";

// Certificates per domain (docs/product.md §9): the rows the scheduler orders for, what the domain page and the API
// show, an admin's own certificate, "Renew now", and the environment's redirect flag. Every change is audited (the
// hostname, issuer, serial and dates: never a key) and bumps the environment's desired-state version.

/** Who acts: a member (audited by name) or the console itself (null). */
export type Actor = { id: number; name: string } | null;

/** A domain's HTTPS status as the domain page and `GET …/https` show it (never a key, never the PEM). */
export type HttpsStatus = {
  hostname: string;
  /** `acme` or `custom`; `acme` before any row exists. */
  source: CertificateSource;
  state: CertificateState;
  issuer: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  serial: string | null;
  sans: string[];
  /** Why the last order failed, and which step (`dns`, `caa`, `http`, `nodes`, `acme`). */
  failureReason: string | null;
  failureStep: string | null;
  /** When the console tries next (order, retry or renewal). */
  nextTryAt: Date | null;
  attempts: number;
  /** False while ACME_DIRECTORY_URL / ACME_EMAIL are unset; `acmeOffMessage` says so. */
  acmeEnabled: boolean;
  acmeOffMessage: string | null;
  /** "Renew now" is refused until this time (rate limit), null when allowed. */
  renewBlockedUntil: Date | null;
};

/** The certificate row of `domainId`, or undefined. */
export async function certificateOf(domainId: number) {
  return first(getDb().select().from(domainCertificates).where(eq(domainCertificates.domainId, domainId)));
}

/** The HTTPS status of a domain (see {@link HttpsStatus}) at `now`. */
export async function httpsStatus(domain: { id: number; hostname: string }, now: Date = new Date()): Promise<HttpsStatus> {
  const row = await certificateOf(domain.id);
  const enabled = acmeEnabled();
  const renewBlockedUntil =
    row?.renewRequestedAt && row.renewRequestedAt.getTime() + RENEW_NOW_INTERVAL_MS > now.getTime()
      ? new Date(row.renewRequestedAt.getTime() + RENEW_NOW_INTERVAL_MS)
      : null;
  return {
    hostname: domain.hostname,
    source: row?.source ?? "acme",
    state: row?.state ?? "none",
    issuer: row?.issuer ?? null,
    notBefore: row?.notBefore ?? null,
    notAfter: row?.notAfter ?? null,
    serial: row?.serial ?? null,
    sans: row?.sans ?? [],
    failureReason: row?.failureReason ?? null,
    failureStep: row?.failureStep ?? null,
    nextTryAt: row?.source === "custom" ? null : (row?.nextTryAt ?? null),
    attempts: row?.attempts ?? 0,
    acmeEnabled: enabled,
    acmeOffMessage: enabled ? null : ACME_OFF_MESSAGE,
    renewBlockedUntil,
  };
}

/**
 * Makes the certificate rows the scheduler orders for (docs/product.md §9 "When"): one per domain that is live,
 * routable (ownership not in question) and whose environment the edge serves (a desired-state version not removed),
 * not under EDGE_CNAME_SUFFIX, with none yet: state `none`, due at `now`. Also follows a domain that moved to another
 * environment. Returns how many rows were made. One write transaction.
 */
export async function ensureCertificateRows(now: Date = new Date()): Promise<number> {
  const suffix = settings().edgeCnameSuffix.toLowerCase();
  return writeTransaction(async () => {
    await execute(sql`
      update domain_certificates set environment_id = (select d.environment_id from domains d where d.id = domain_certificates.domain_id)
      where environment_id != (select d.environment_id from domains d where d.id = domain_certificates.domain_id)`);
    const made = await execute(sql`
      insert into domain_certificates (domain_id, account_id, environment_id, hostname, next_try_at)
      select d.id, d.account_id, d.environment_id, d.hostname, ${now.getTime()}
      from domains d
      join edge_environment_versions v on v.environment_id = d.environment_id and v.removed_at is null
      where d.status = 'live'
        and (d.ownership_required = 0 or d.ownership_proven_at is not null)
        and d.hostname != ${suffix} and d.hostname not like ${"%." + suffix}
        and not exists (select 1 from domain_certificates c where c.domain_id = d.id)`);
    return made;
  });
}

/** The row of `domainId`, made (state `none`, due now) when missing. Inside the caller's transaction. */
async function rowFor(domain: { id: number; accountId: number; environmentId: number; hostname: string }) {
  const db = getDb();
  await db
    .insert(domainCertificates)
    .values({
      domainId: domain.id,
      accountId: domain.accountId,
      environmentId: domain.environmentId,
      hostname: domain.hostname,
      nextTryAt: new Date(),
    })
    .onConflictDoNothing();
  return (await first(db.select().from(domainCertificates).where(eq(domainCertificates.domainId, domain.id))))!;
}

/** The facts as the audit log keeps them (dates ISO). */
function auditFacts(facts: CertificateFacts): Record<string, unknown> {
  return {
    issuer: facts.issuer,
    serial: facts.serial,
    notBefore: facts.notBefore.toISOString(),
    notAfter: facts.notAfter.toISOString(),
    sans: facts.sans,
  };
}

/** A domain as the HTTPS actions need it. */
export type HttpsDomain = { id: number; accountId: number; environmentId: number; hostname: string; hostnameUnicode: string };

/**
 * An admin's own certificate for `domain` (docs/product.md §9): checks it ({@link checkOwnCertificate}) and, unless
 * `verifyOnly`, stores it (chain leaf first, key sealed) as source `custom`, state `issued`, used instead of ACME until
 * removed; audits `certificate.upload` and bumps the environment. Returns the field errors, or the facts.
 */
export async function uploadOwnCertificate(input: {
  domain: HttpsDomain;
  actor: Actor;
  chainText: string;
  keyText: string;
  verifyOnly?: boolean;
  now?: Date;
}): Promise<{ ok: true; facts: CertificateFacts; stored: boolean } | { ok: false; errors: CertificateFieldError[] }> {
  const checked = checkOwnCertificate({
    hostname: input.domain.hostname,
    chainText: input.chainText,
    keyText: input.keyText,
    now: input.now,
  });
  if (!checked.ok) return checked;
  const { facts } = checked.certificate;
  if (input.verifyOnly) return { ok: true, facts, stored: false };
  await writeTransaction(async (tx) => {
    const row = await rowFor(input.domain);
    await tx
      .update(domainCertificates)
      .set({
        source: "custom",
        state: "issued",
        issuer: facts.issuer,
        notBefore: facts.notBefore,
        notAfter: facts.notAfter,
        serial: facts.serial,
        sans: facts.sans,
        chainPem: checked.certificate.chainPem,
        privateKeySealed: sealPrivateKey(certificateKeyContext(input.domain.id), checked.certificate.keyPem),
        failureReason: null,
        failureStep: null,
        nextTryAt: null,
        attempts: 0,
        firstFailureAt: null,
        expiryMailedAt: null,
        updatedAt: new Date(),
      })
      .where(eq(domainCertificates.id, row.id));
    await recordAudit(tx, {
      accountId: input.domain.accountId,
      actor: input.actor,
      action: "certificate.upload",
      targetType: "domain",
      targetId: input.domain.id,
      targetLabel: input.domain.hostnameUnicode,
      data: auditFacts(facts),
    });
  });
  await bumpEdgeEnvironment(input.domain.environmentId);
  return { ok: true, facts, stored: true };
}

/**
 * Removes an own certificate and returns `domain` to automatic certificates (`{"type":"acme"}`): the row becomes
 * source `acme`, state `none`, due now (the name gets the default certificate until the new one is issued); audits
 * `certificate.remove` and bumps the environment. Returns false when the domain had no own certificate.
 */
export async function returnToAcme(input: { domain: HttpsDomain; actor: Actor }): Promise<boolean> {
  const changed = await writeTransaction(async (tx) => {
    const row = await rowFor(input.domain);
    if (row.source !== "custom") return false;
    await tx
      .update(domainCertificates)
      .set({
        source: "acme",
        state: "none",
        issuer: null,
        notBefore: null,
        notAfter: null,
        serial: null,
        sans: null,
        chainPem: null,
        privateKeySealed: null,
        nextTryAt: new Date(),
        attempts: 0,
        firstFailureAt: null,
        expiryMailedAt: null,
        updatedAt: new Date(),
      })
      .where(eq(domainCertificates.id, row.id));
    await recordAudit(tx, {
      accountId: input.domain.accountId,
      actor: input.actor,
      action: "certificate.remove",
      targetType: "domain",
      targetId: input.domain.id,
      targetLabel: input.domain.hostnameUnicode,
      data: { serial: row.serial, issuer: row.issuer },
    });
    return true;
  });
  if (changed) await bumpEdgeEnvironment(input.domain.environmentId);
  return changed;
}

/** Why "Renew now" was refused. */
export type RenewRefusal = { code: "acme-off" | "custom" | "rate-limited"; message: string };

/**
 * "Renew now" (docs/product.md §9; admin, rate-limited to once per 5 minutes per domain): makes the certificate due
 * at `now` (the scheduler orders it in its next sweep) and audits `certificate.renew`. Refused while ACME is off, for
 * an own certificate, or inside the rate limit (the message says until when).
 */
export async function requestRenewal(input: {
  domain: HttpsDomain;
  actor: Actor;
  now?: Date;
}): Promise<{ ok: true } | { ok: false; refusal: RenewRefusal }> {
  const now = input.now ?? new Date();
  if (!acmeEnabled()) return { ok: false, refusal: { code: "acme-off", message: ACME_OFF_MESSAGE } };
  return writeTransaction(async (tx) => {
    const row = await rowFor(input.domain);
    if (row.source === "custom")
      return {
        ok: false as const,
        refusal: {
          code: "custom" as const,
          message: "This domain uses its own certificate: remove it to return to automatic certificates.",
        },
      };
    if (row.renewRequestedAt && row.renewRequestedAt.getTime() + RENEW_NOW_INTERVAL_MS > now.getTime()) {
      const at = new Date(row.renewRequestedAt.getTime() + RENEW_NOW_INTERVAL_MS);
      return {
        ok: false as const,
        refusal: {
          code: "rate-limited" as const,
          message: `A renewal was requested less than 5 minutes ago: try again after ${at.toISOString().slice(11, 19)} UTC.`,
        },
      };
    }
    await tx
      .update(domainCertificates)
      .set({ renewRequestedAt: now, nextTryAt: now, updatedAt: now })
      .where(eq(domainCertificates.id, row.id));
    await recordAudit(tx, {
      accountId: input.domain.accountId,
      actor: input.actor,
      action: "certificate.renew",
      targetType: "domain",
      targetId: input.domain.id,
      targetLabel: input.domain.hostnameUnicode,
    });
    return { ok: true as const };
  });
}

/**
 * Sets an environment's "Redirect HTTP to HTTPS" (docs/product.md §9): stored in `environments.redirect_https`,
 * audited as `environment.redirect-https` with the new value, and the environment bumped so nodes apply it. Returns
 * false when the value was already so (nothing recorded).
 */
export async function setRedirectHttps(input: {
  environment: { id: number; accountId: number; name: string };
  actor: Actor;
  on: boolean;
}): Promise<boolean> {
  const changed = await writeTransaction(async (tx) => {
    const row = await first(
      tx.select({ on: environments.redirectHttps }).from(environments).where(eq(environments.id, input.environment.id)),
    );
    if (!row || row.on === input.on) return false;
    await tx.update(environments).set({ redirectHttps: input.on }).where(eq(environments.id, input.environment.id));
    await recordAudit(tx, {
      accountId: input.environment.accountId,
      actor: input.actor,
      action: "environment.redirect-https",
      targetType: "environment",
      targetId: input.environment.id,
      targetLabel: input.environment.name,
      data: { on: input.on },
    });
    return true;
  });
  if (changed) await bumpEdgeEnvironment(input.environment.id);
  return changed;
}

/** A domain by account and hostname (A-label), as the API and pages look it up; undefined when not in the account. */
export async function findDomain(accountId: number, hostname: string): Promise<HttpsDomain | undefined> {
  return first(
    getDb()
      .select({
        id: domains.id,
        accountId: domains.accountId,
        environmentId: domains.environmentId,
        hostname: domains.hostname,
        hostnameUnicode: domains.hostnameUnicode,
      })
      .from(domains)
      .where(and(eq(domains.accountId, accountId), eq(domains.hostname, hostname.trim().toLowerCase().replace(/\.$/, "")))),
  );
}
