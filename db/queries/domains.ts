import "server-only";
import { asc, desc, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { dnsChecks, domains } from "@/db/schema";

export type DnsCheckRow = typeof dnsChecks.$inferSelect;

/** The most recent go-live checks of a domain, newest first (at most `limit`). */
export async function listRecentChecks(params: { domainId: number; limit?: number }): Promise<DnsCheckRow[]> {
  return getDb()
    .select()
    .from(dnsChecks)
    .where(eq(dnsChecks.domainId, params.domainId))
    .orderBy(desc(dnsChecks.checkedAt), desc(dnsChecks.id))
    .limit(params.limit ?? 1)
    .all();
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
    .orderBy(asc(domains.hostname))
    .all();
}
