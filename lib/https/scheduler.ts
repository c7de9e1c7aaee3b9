import crypto from "node:crypto";
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, or } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { accounts, acmeChallenges, domainCertificates, domains, memberships, users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { rolesWith } from "@/lib/auth/permissions";
import { settings } from "@/lib/config";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { composeMail, consoleLink } from "@/lib/mail";
import { AcmeOrderError, orderCertificate, type IssuedCertificate } from "./acme";
import { chainFacts } from "./certificate";
import { activeNodes, bumpEdgeEnvironment, certificateKeyContext, waitForNodes } from "./edge";
import { checkAddresses, checkCaa, checkHttpToken } from "./preflight";
import { log } from "@/lib/log";
import { countCertificateOrder } from "@/lib/metrics";
import { sealPrivateKey } from "./secret-box";
import { ensureCertificateRows } from "./store";
import {
  acmeEnabled,
  acmeSettings,
  EXPIRY_WARNING_MS,
  NODES_WAIT_MS,
  ORDER_LEASE_MS,
  RETRY_FAST_MS,
  RETRY_FAST_WINDOW_MS,
  RETRY_SLOW_MS,
} from "./settings";

// Background orders and renewals (docs/product.md §9, docs/https.md "Scheduler"): a sweep makes the missing rows,
// claims the certificates that are due under a lease (like the DNS checker's: several console processes and workers
// never order one certificate at once), runs the pre-flight and the order for each, and mails owners and admins about
// certificates that expire within 14 days while renewal fails.

/** When the next try after a failure is due: every 10 minutes during the first 24 hours of failures, then hourly. */
export function nextRetryAt(firstFailureAt: Date, now: Date): Date {
  const fast = now.getTime() - firstFailureAt.getTime() < RETRY_FAST_WINDOW_MS;
  return new Date(now.getTime() + (fast ? RETRY_FAST_MS : RETRY_SLOW_MS));
}

/** When a certificate valid from `notBefore` to `notAfter` is renewed: once a third of its lifetime is left. */
export function renewalAt(notBefore: Date, notAfter: Date): Date {
  return new Date(notAfter.getTime() - (notAfter.getTime() - notBefore.getTime()) / 3);
}

/** A claimed certificate: its id and the lease this process holds. */
export type Claim = { id: number; leaseUntil: Date };

/**
 * Claims up to `limit` automatic certificates due at `now` (next try passed, lease free): sets their lease to
 * now + 10 minutes, and state `pending` where there was none yet. One write transaction, so two sweeps never claim
 * the same row.
 */
export async function claimDueCertificates(now: Date, limit: number): Promise<Claim[]> {
  const leaseUntil = new Date(now.getTime() + ORDER_LEASE_MS);
  return writeTransaction(async (tx) => {
    const rows = await tx
      .select({ id: domainCertificates.id, state: domainCertificates.state })
      .from(domainCertificates)
      .where(
        and(
          eq(domainCertificates.source, "acme"),
          isNotNull(domainCertificates.nextTryAt),
          lte(domainCertificates.nextTryAt, now),
          or(isNull(domainCertificates.leaseUntil), lte(domainCertificates.leaseUntil, now)),
        ),
      )
      .orderBy(asc(domainCertificates.nextTryAt), asc(domainCertificates.id))
      .limit(limit);
    for (const row of rows) {
      await tx
        .update(domainCertificates)
        .set({ leaseUntil, ...(row.state === "none" ? { state: "pending" as const } : {}) })
        .where(eq(domainCertificates.id, row.id));
    }
    return rows.map((r) => ({ id: r.id, leaseUntil }));
  });
}

/** What one order attempt ended with. */
export type OrderOutcome =
  | { id: number; hostname: string; result: "issued"; ms: number; validationMs: number; nodesMs: number }
  | { id: number; hostname: string; result: "failed"; step: string; reason: string }
  | { id: number; hostname: string; result: "waiting"; reason: string }
  /** The certificate is gone, or its result was not stored (lease lost, own certificate uploaded meanwhile). */
  | { id: number; result: "lost" };

/** Options of an order attempt (tests pass their resolver and a shorter node wait). */
export type OrderOptions = { resolver?: Resolver; nodesWaitMs?: number; now?: () => Date };

/** Stores an HTTP-01 answer for the desired state and bumps the environment. */
async function publishChallenge(
  cert: { id: number; environmentId: number; hostname: string },
  kind: "acme" | "preflight",
  token: string,
  keyAuthorization: string,
) {
  await writeTransaction(async (tx) => {
    await tx.insert(acmeChallenges).values({
      certificateId: cert.id,
      environmentId: cert.environmentId,
      hostname: cert.hostname,
      kind,
      token,
      keyAuthorization,
      expiresAt: new Date(Date.now() + ORDER_LEASE_MS),
    });
  });
  await bumpEdgeEnvironment(cert.environmentId);
}

/** Drops an HTTP-01 answer and bumps the environment. */
async function withdrawChallenge(environmentId: number, token: string) {
  await writeTransaction(async (tx) => {
    await tx.delete(acmeChallenges).where(eq(acmeChallenges.token, token));
  });
  await bumpEdgeEnvironment(environmentId);
}

/**
 * Records a failed attempt: state `failed`, the reason and step, the next try by {@link nextRetryAt} (a `transient`
 * DNS error too), the lease released. Audits `certificate.failed` when the reason differs from the last one (a
 * failure repeated every 10 minutes is one audit row). Only while this process still holds the lease.
 */
async function recordFailure(claim: Claim, step: string, reason: string, now: Date): Promise<void> {
  await writeTransaction(async (tx) => {
    const row = await first(
      tx
        .select()
        .from(domainCertificates)
        .where(and(eq(domainCertificates.id, claim.id), eq(domainCertificates.leaseUntil, claim.leaseUntil))),
    );
    if (!row) return;
    const firstFailureAt = row.firstFailureAt ?? now;
    await tx
      .update(domainCertificates)
      .set({
        state: "failed",
        failureReason: reason,
        failureStep: step,
        attempts: row.attempts + 1,
        firstFailureAt,
        lastAttemptAt: now,
        nextTryAt: nextRetryAt(firstFailureAt, now),
        leaseUntil: null,
        updatedAt: now,
      })
      .where(eq(domainCertificates.id, row.id));
    if (row.failureReason !== reason) {
      await recordAudit(tx, {
        accountId: row.accountId,
        actor: null,
        action: "certificate.failed",
        targetType: "domain",
        targetId: row.domainId,
        targetLabel: row.hostname,
        data: { step, reason, attempts: row.attempts + 1 },
      });
    }
  });
}

/**
 * Stores an issued certificate (key sealed), schedules its renewal, releases the lease, audits `certificate.issued`.
 * Only while `claim` still holds the lease (docs/https.md "Scheduler"): resolves to false, storing nothing, when the
 * lease was taken over after it ran out (the new holder's order and result stand) or an admin uploaded an own
 * certificate meanwhile.
 */
export async function recordIssued(claim: Claim, issued: IssuedCertificate, now: Date): Promise<boolean> {
  const facts = chainFacts(issued.chainPem);
  if (!facts) throw new Error("the CA returned a chain that does not parse");
  return writeTransaction(async (tx) => {
    const row = await first(
      tx
        .select()
        .from(domainCertificates)
        .where(and(eq(domainCertificates.id, claim.id), eq(domainCertificates.leaseUntil, claim.leaseUntil))),
    );
    if (!row) return false; // the lease is another process's now, or it was released: its result stands
    if (row.source !== "acme") return false; // an admin uploaded an own certificate meanwhile: it wins
    await tx
      .update(domainCertificates)
      .set({
        state: "issued",
        issuer: facts.issuer,
        notBefore: facts.notBefore,
        notAfter: facts.notAfter,
        serial: facts.serial,
        sans: facts.sans,
        chainPem: issued.chainPem,
        privateKeySealed: sealPrivateKey(certificateKeyContext(row.domainId), issued.keyPem),
        failureReason: null,
        failureStep: null,
        attempts: 0,
        firstFailureAt: null,
        lastAttemptAt: now,
        nextTryAt: renewalAt(facts.notBefore, facts.notAfter),
        leaseUntil: null,
        expiryMailedAt: null,
        updatedAt: now,
      })
      .where(eq(domainCertificates.id, row.id));
    await recordAudit(tx, {
      accountId: row.accountId,
      actor: null,
      action: "certificate.issued",
      targetType: "domain",
      targetId: row.domainId,
      targetLabel: row.hostname,
      data: { issuer: facts.issuer, serial: facts.serial, notAfter: facts.notAfter.toISOString(), renewal: row.chainPem !== null },
    });
    return true;
  });
}

/** Releases a lease without recording an attempt, trying again at `nextTryAt`. */
async function release(claim: Claim, nextTryAt: Date): Promise<void> {
  await writeTransaction(async (tx) => {
    await tx
      .update(domainCertificates)
      .set({ leaseUntil: null, nextTryAt })
      .where(and(eq(domainCertificates.id, claim.id), eq(domainCertificates.leaseUntil, claim.leaseUntil)));
  });
}

/**
 * One attempt for a claimed certificate (docs/product.md §9): waits (lease released, retried in 10 minutes, nothing
 * recorded) while the domain is not live or no node is active; then the pre-flight — A/AAAA at the edge, CAA, and the
 * HTTP token through every EDGE_IPV4 address on each active node's HTTP port once every active node answers it — and,
 * only when it passes, the ACME order. A failure at any step is recorded with the sentence naming what to fix.
 */
export async function orderClaimedCertificate(claim: Claim, options: OrderOptions = {}): Promise<OrderOutcome> {
  const now = options.now ?? (() => new Date());
  const cert = await first(
    getDb()
      .select({
        id: domainCertificates.id,
        hostname: domains.hostname,
        environmentId: domains.environmentId,
        status: domains.status,
      })
      .from(domainCertificates)
      .innerJoin(domains, eq(domains.id, domainCertificates.domainId))
      .where(eq(domainCertificates.id, claim.id)),
  );
  if (!cert) return { id: claim.id, result: "lost" };
  const later = new Date(now().getTime() + RETRY_FAST_MS);
  if (cert.status !== "live") {
    await release(claim, later);
    return { id: cert.id, hostname: cert.hostname, result: "waiting", reason: "the domain is not live" };
  }
  const nodes = await activeNodes();
  if (nodes.length === 0) {
    await release(claim, later);
    return { id: cert.id, hostname: cert.hostname, result: "waiting", reason: "no edge node is active" };
  }
  const fail = async (step: string, reason: string): Promise<OrderOutcome> => {
    await recordFailure(claim, step, reason, now());
    return { id: cert.id, hostname: cert.hostname, result: "failed", step, reason };
  };
  const s = settings();
  const resolver = options.resolver ?? createResolver();
  const dns = await checkAddresses(cert.hostname, resolver, { ipv4: s.edgeIpv4, ipv6: s.edgeIpv6 });
  if (!dns.ok) return fail(dns.step, dns.problems.join(" "));
  const caa = await checkCaa(cert.hostname, resolver, acmeSettings().caaIdentities);
  if (!caa.ok) return fail(caa.step, caa.problems.join(" "));

  const waitMs = options.nodesWaitMs ?? NODES_WAIT_MS;
  const token = crypto.randomBytes(32).toString("base64url");
  const expected = `${token}.${crypto.randomBytes(32).toString("base64url")}`;
  await publishChallenge(cert, "preflight", token, expected);
  try {
    const missing = await waitForNodes(cert.environmentId, token, waitMs);
    if (missing) return fail("nodes", missing);
    const ports = [...new Set((await activeNodes()).map((n) => n.httpPort).filter((p): p is number => p !== null))];
    const http = await checkHttpToken({ hostname: cert.hostname, addresses: s.edgeIpv4, ports, token, expected });
    if (!http.ok) return fail(http.step, http.problems.join(" "));
  } finally {
    await withdrawChallenge(cert.environmentId, token);
  }

  try {
    let nodesMs = 0;
    const issued = await orderCertificate({
      hostname: cert.hostname,
      publish: async (acmeToken, keyAuthorization) => {
        const published = Date.now();
        await publishChallenge(cert, "acme", acmeToken, keyAuthorization);
        const missingNodes = await waitForNodes(cert.environmentId, acmeToken, waitMs);
        nodesMs += Date.now() - published;
        if (missingNodes) throw new AcmeOrderError("nodes", missingNodes);
      },
      withdraw: (acmeToken) => withdrawChallenge(cert.environmentId, acmeToken),
    });
    if (!(await recordIssued(claim, issued, now()))) return { id: cert.id, result: "lost" };
    await bumpEdgeEnvironment(cert.environmentId);
    return {
      id: cert.id,
      hostname: cert.hostname,
      result: "issued",
      ms: issued.timings.total,
      validationMs: issued.timings.validation,
      nodesMs,
    };
  } catch (error) {
    if (error instanceof AcmeOrderError) return fail(error.step, error.message);
    return fail("internal", `The order could not be completed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Mails the owners and admins (`alerts.receive`) of each account whose served certificate expires within 14 days of
 * `now` while its renewal fails (state `failed`), once per certificate (`expiry_mailed_at`). Returns how many mails
 * were sent; a failed mail is logged, never thrown.
 */
export async function mailExpiringCertificates(now: Date = new Date()): Promise<number> {
  const db = getDb();
  const rows = await db
    .select({ cert: domainCertificates, accountName: accounts.name, applicationId: domains.applicationId })
    .from(domainCertificates)
    .innerJoin(domains, eq(domains.id, domainCertificates.domainId))
    .innerJoin(accounts, eq(accounts.id, domainCertificates.accountId))
    .where(
      and(
        eq(domainCertificates.state, "failed"),
        isNull(domainCertificates.expiryMailedAt),
        gt(domainCertificates.notAfter, now),
        lte(domainCertificates.notAfter, new Date(now.getTime() + EXPIRY_WARNING_MS)),
      ),
    );
  let sent = 0;
  for (const { cert, accountName, applicationId } of rows) {
    const recipients = await db
      .select({ email: users.email })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.accountId, cert.accountId), inArray(memberships.role, [...rolesWith("alerts.receive")])));
    for (const { email } of recipients) {
      const mail = composeMail({
        to: email,
        subject: `The certificate of ${cert.hostname} expires on ${cert.notAfter!.toISOString().slice(0, 10)}`,
        paragraphs: [
          `The HTTPS certificate of ${cert.hostname} in the account "${accountName}" expires on ${cert.notAfter!.toISOString().replace(/\.\d{3}Z$/, "Z")}, and renewing it keeps failing.`,
          `Last reason: ${cert.failureReason ?? "unknown"}`,
          "The console tries again on its own; once the reason is fixed the new certificate is served without any action.",
        ],
        action: {
          label: "Open the domain",
          url: consoleLink(`/account/${cert.accountId}/application/${applicationId}/domain/${cert.domainId}`),
        },
        footer: "You receive this mail as an owner or admin of the account.",
      });
      if (await sendMailQuietly(mail)) sent++;
    }
    await writeTransaction(async (tx) => {
      await tx.update(domainCertificates).set({ expiryMailedAt: now }).where(eq(domainCertificates.id, cert.id));
      await recordAudit(tx, {
        accountId: cert.accountId,
        actor: null,
        action: "certificate.expiry-mail",
        targetType: "domain",
        targetId: cert.domainId,
        targetLabel: cert.hostname,
        data: { notAfter: cert.notAfter!.toISOString(), recipients: recipients.length },
      });
    });
  }
  return sent;
}

/** Counts of one certificate sweep. */
export type CertificateSweepResult = { made: number; claimed: number; outcomes: OrderOutcome[]; mailed: number };

/**
 * One sweep (docs/https.md "Scheduler"): while ACME is on, makes the missing certificate rows, claims up to `limit`
 * (default 20) due certificates and orders them one after another; then the expiry mails (whether ACME is on or not).
 */
export async function sweepCertificates(options: OrderOptions & { limit?: number } = {}): Promise<CertificateSweepResult> {
  const result: CertificateSweepResult = { made: 0, claimed: 0, outcomes: [], mailed: 0 };
  if (acmeEnabled()) {
    const now = options.now?.() ?? new Date();
    result.made = await ensureCertificateRows(now);
    const claims = await claimDueCertificates(now, options.limit ?? 20);
    result.claimed = claims.length;
    for (const claim of claims) {
      try {
        result.outcomes.push(countCertificateOrder(await orderClaimedCertificate(claim, options)));
      } catch (error) {
        countCertificateOrder({ result: "error" });
        log.error({ err: error, certificateId: claim.id }, `[certificates] order of certificate #${claim.id} failed`);
        await recordFailure(claim, "internal", `The order could not be completed: ${(error as Error).message}`, new Date()).catch(
          () => undefined,
        );
      }
    }
  }
  result.mailed = await mailExpiringCertificates(options.now?.() ?? new Date());
  return result;
}

/** A running certificate scheduler; `stop()` cancels the next sweep and waits for a running one. */
export type CertificateScheduler = { stop: () => Promise<void>; kick: () => void };

/** This process's running scheduler, on globalThis: server actions and instrumentation.ts load separate bundles. */
const CURRENT_KEY = Symbol.for("edge-console.certificate-scheduler");
const holder = globalThis as unknown as Record<symbol, { kick: () => void } | null | undefined>;

/** Asks this process's certificate scheduler (when one runs) for a sweep now ("Renew now"). */
export function kickCertificateScheduler(): void {
  holder[CURRENT_KEY]?.kick();
}

/**
 * Runs {@link sweepCertificates} every `intervalMs` (default `CHECK_INTERVAL_SECONDS` × 1000), one sweep at a time,
 * started by the console (instrumentation.ts) and by `npm run worker` next to the DNS checker; leases keep several
 * processes from ordering one certificate twice. Errors are logged and the loop goes on. The timer does not keep the
 * process alive.
 */
export function startCertificateScheduler(options: { intervalMs?: number } = {}): CertificateScheduler {
  const intervalMs = options.intervalMs ?? settings().checkIntervalSeconds * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const tick = () => {
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    running = sweepCertificates()
      .then((r) => {
        for (const o of r.outcomes) {
          if (o.result === "issued") log.info(`[certificates] issued ${o.hostname} in ${o.ms} ms`);
          else if (o.result === "failed") log.warn(`[certificates] ${o.hostname}: ${o.step}: ${o.reason}`);
          else if (o.result === "waiting") log.info(`[certificates] ${o.hostname}: waiting: ${o.reason}`);
        }
      })
      .catch((error) => log.error({ err: error }, "[certificates] sweep failed"))
      .finally(() => {
        running = null;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(tick);
        } else schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  schedule();
  const handle = { kick: () => !stopped && tick() };
  holder[CURRENT_KEY] = handle;
  return {
    kick: handle.kick,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (holder[CURRENT_KEY] === handle) holder[CURRENT_KEY] = null;
      await running;
    },
  };
}
