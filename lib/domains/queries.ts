import "server-only";
import { and, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { domains } from "@/db/schema";

type DomainRow = typeof domains.$inferSelect;

/** Domain `domainId` if it belongs to application `applicationId` (pages derive the application from the URL), else undefined. */
export async function getApplicationDomain(params: { applicationId: number; domainId: number }): Promise<DomainRow | undefined> {
  return getDb()
    .select()
    .from(domains)
    .where(and(eq(domains.id, params.domainId), eq(domains.applicationId, params.applicationId)))
    .get();
}
