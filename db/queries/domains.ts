import "server-only";
import { desc, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { dnsChecks } from "@/db/schema";

export type DnsCheckRow = typeof dnsChecks.$inferSelect;

/** The most recent go-live checks of a domain, newest first (at most `limit`). */
export function listRecentChecks(params: { domainId: number; limit?: number }): DnsCheckRow[] {
  return getDb()
    .select()
    .from(dnsChecks)
    .where(eq(dnsChecks.domainId, params.domainId))
    .orderBy(desc(dnsChecks.checkedAt), desc(dnsChecks.id))
    .limit(params.limit ?? 1)
    .all();
}
