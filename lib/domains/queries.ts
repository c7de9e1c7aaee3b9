import "server-only";
import { and, asc, desc, eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { dnsChecks, domains } from "@/db/schema";
import type { DnsCheckRow, DomainRow } from "@/db/types";

// Reads of domains and their go-live checks for pages and the API (docs/architecture.md, "Data").

export type { DnsCheckRow };

/** Domain `domainId` if it belongs to application `applicationId` (pages derive the application from the URL), else undefined. */
export async function getApplicationDomain(params: { applicationId: number; domainId: number }): Promise<DomainRow | undefined> {
  return first(
    getDb()
      .select()
      .from(domains)
      .where(and(eq(domains.id, params.domainId), eq(domains.applicationId, params.applicationId))),
  );
}

/** The most recent go-live checks of a domain, newest first (at most `limit`). */
export async function listRecentChecks(params: { domainId: number; limit?: number }): Promise<DnsCheckRow[]> {
  return getDb()
    .select()
    .from(dnsChecks)
    .where(eq(dnsChecks.domainId, params.domainId))
    .orderBy(desc(dnsChecks.checkedAt), desc(dnsChecks.id))
    .limit(params.limit ?? 1);
}

/**
 * Every domain hostname of an account, all environments, ordered by A-label (the hostnames that deleting the account
 * frees, as lib/accounts/delete lists them): `hostname` is the stored A-label form, `hostnameUnicode` its display form.
 */
export async function listAccountHostnames(params: { accountId: number }): Promise<{ hostname: string; hostnameUnicode: string }[]> {
  return getDb()
    .select({ hostname: domains.hostname, hostnameUnicode: domains.hostnameUnicode })
    .from(domains)
    .where(eq(domains.accountId, params.accountId))
    .orderBy(asc(domains.hostname));
}
