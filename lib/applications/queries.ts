import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { getDb, first } from "@/db";
import { applications, domains, environments, type DomainStatus } from "@/db/schema";
import { summariseEnvironment, type EnvironmentStatus } from "@/lib/domains/summary";
import type { ApplicationRow, DomainRow, EnvironmentRow } from "@/db/types";

export type { ApplicationRow };
export type { EnvironmentRow };
export type { DomainRow };

/** The account's applications, each with its go-live status (its Production environment's, docs/product.md §3.5). */
export async function listApplicationsOfAccount(params: {
  accountId: number;
}): Promise<(ApplicationRow & { goLive: EnvironmentStatus; hostnames: string[] })[]> {
  const db = getDb();
  const apps = await db.select().from(applications).where(eq(applications.accountId, params.accountId)).orderBy(asc(applications.name));
  const rows = await db
    .select({ applicationId: domains.applicationId, hostname: domains.hostname, status: domains.status })
    .from(domains)
    .innerJoin(environments, eq(environments.id, domains.environmentId))
    .where(and(eq(domains.accountId, params.accountId), sql`${environments.name} = 'Production'`))
    .orderBy(asc(domains.id));
  return apps.map((app) => {
    const own = rows.filter((r) => r.applicationId === app.id);
    return { ...app, goLive: summariseEnvironment(own.map((r) => r.status as DomainStatus)), hostnames: own.map((r) => r.hostname) };
  });
}

/** The environment of an application with this name (case-insensitive), or undefined. */
export async function getEnvironmentByName(params: { applicationId: number; name: string }): Promise<EnvironmentRow | undefined> {
  return first(
    getDb()
      .select()
      .from(environments)
      .where(and(eq(environments.applicationId, params.applicationId), sql`lower(${environments.name}) = lower(${params.name})`)),
  );
}

/** The environments of an application, Production first. */
export async function listEnvironments(params: { applicationId: number }): Promise<EnvironmentRow[]> {
  return getDb()
    .select()
    .from(environments)
    .where(eq(environments.applicationId, params.applicationId))
    .orderBy(sql`${environments.name} <> 'Production'`, asc(environments.name));
}

/** The domains of an environment, oldest first. */
export async function listDomainsOfEnvironment(params: { environmentId: number }): Promise<DomainRow[]> {
  return getDb().select().from(domains).where(eq(domains.environmentId, params.environmentId)).orderBy(asc(domains.id));
}

/** True when the normalised hostname is already a domain anywhere on the platform. */
export async function isHostnameTaken(params: { hostname: string }): Promise<boolean> {
  return !!(await first(getDb().select({ id: domains.id }).from(domains).where(eq(domains.hostname, params.hostname))));
}

/** The domains of an application (every environment), oldest first. */
export async function listDomainsOfApplication(params: { applicationId: number }): Promise<DomainRow[]> {
  return getDb().select().from(domains).where(eq(domains.applicationId, params.applicationId)).orderBy(asc(domains.id));
}
