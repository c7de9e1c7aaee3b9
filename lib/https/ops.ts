import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { accounts, CERTIFICATE_STATES, domainCertificates, type CertificateState } from "@/db/schema";
import { EXPIRY_WARNING_MS } from "./settings";

// Certificates for operators (/ops/certificates, docs/product.md §9): counts by state, what expires within 14 days,
// and the failed orders with their reasons, across all accounts. Never a key or a PEM.

/** One certificate as /ops lists it. */
export type OpsCertificate = {
  id: number;
  domainId: number;
  hostname: string;
  accountId: number;
  accountName: string;
  source: "acme" | "custom";
  state: CertificateState;
  issuer: string | null;
  notAfter: Date | null;
  failureStep: string | null;
  failureReason: string | null;
  nextTryAt: Date | null;
  attempts: number;
};

const columns = {
  id: domainCertificates.id,
  domainId: domainCertificates.domainId,
  hostname: domainCertificates.hostname,
  accountId: domainCertificates.accountId,
  accountName: accounts.name,
  source: domainCertificates.source,
  state: domainCertificates.state,
  issuer: domainCertificates.issuer,
  notAfter: domainCertificates.notAfter,
  failureStep: domainCertificates.failureStep,
  failureReason: domainCertificates.failureReason,
  nextTryAt: domainCertificates.nextTryAt,
  attempts: domainCertificates.attempts,
};

/**
 * The /ops certificate overview at `now`: the count per state (every state present, 0 when none), certificates that
 * expire within 14 days (soonest first), and failed ones (most attempts first), each list at most `limit` (default 200).
 */
export async function certificateOverview(now: Date = new Date(), limit = 200) {
  const db = getDb();
  const rows = await db
    .select({ state: domainCertificates.state, n: sql<number>`count(*)` })
    .from(domainCertificates)
    .groupBy(domainCertificates.state);
  const counts = Object.fromEntries(CERTIFICATE_STATES.map((s) => [s, 0])) as Record<CertificateState, number>;
  for (const r of rows) counts[r.state] = Number(r.n);
  const expiring: OpsCertificate[] = await db
    .select(columns)
    .from(domainCertificates)
    .innerJoin(accounts, eq(accounts.id, domainCertificates.accountId))
    .where(and(gt(domainCertificates.notAfter, now), lte(domainCertificates.notAfter, new Date(now.getTime() + EXPIRY_WARNING_MS))))
    .orderBy(asc(domainCertificates.notAfter))
    .limit(limit);
  const failed: OpsCertificate[] = await db
    .select(columns)
    .from(domainCertificates)
    .innerJoin(accounts, eq(accounts.id, domainCertificates.accountId))
    .where(eq(domainCertificates.state, "failed"))
    .orderBy(sql`${domainCertificates.attempts} desc`, asc(domainCertificates.hostname))
    .limit(limit);
  return { counts, expiring, failed };
}
