import "server-only";
import { asc, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { domains, environments, type DomainStatus } from "@/db/schema";
import { summariseEnvironment, type EnvironmentStatus } from "@/lib/domains/summary";
import type { EnvironmentRow } from "@/db/types";

export type { EnvironmentRow };

/** An environment with its go-live summary (docs/product.md §3.4) and its hostnames (Unicode form), for lists and tabs. */
export type EnvironmentSummary = EnvironmentRow & { status: EnvironmentStatus; hostnames: string[] };

/** The environments of an application, Production first then by name, each with its domains' status summary. */
export async function listEnvironmentSummaries(params: { applicationId: number }): Promise<EnvironmentSummary[]> {
  const db = getDb();
  const envs = await db
    .select()
    .from(environments)
    .where(eq(environments.applicationId, params.applicationId))
    .orderBy(sql`${environments.name} <> 'Production'`, asc(environments.name));
  const rows = await db
    .select({ environmentId: domains.environmentId, hostname: domains.hostnameUnicode, status: domains.status })
    .from(domains)
    .where(eq(domains.applicationId, params.applicationId))
    .orderBy(asc(domains.id));
  return envs.map((env) => {
    const own = rows.filter((r) => r.environmentId === env.id);
    return { ...env, status: summariseEnvironment(own.map((r) => r.status as DomainStatus)), hostnames: own.map((r) => r.hostname) };
  });
}
