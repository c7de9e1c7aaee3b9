import "server-only";
import { notFound } from "next/navigation";
import { and, eq, sql } from "drizzle-orm";
import { getDb, first } from "@/db";
import { environments } from "@/db/schema";
import { requireApplication, type Access } from "@/lib/auth/access";
import type { ApplicationRow, EnvironmentRow } from "@/db/types";

/** An environment, its application, and the user's access to their account. */
export type EnvironmentAccess = Access & { application: ApplicationRow; environment: EnvironmentRow };

/**
 * For pages: the environment named `envName` (compared ignoring case; URL-encoded or not) of the application,
 * with access as `requireApplication` gives it: 404 for a non-member, a missing application or environment, or a
 * name that could not be an environment's.
 */
export async function requireEnvironment(accountId: number, applicationId: number, envName: string): Promise<EnvironmentAccess> {
  const { application, ...access } = await requireApplication(accountId, applicationId);
  let name = envName;
  try {
    name = decodeURIComponent(envName);
  } catch {
    notFound();
  }
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(name)) notFound();
  const environment = await first(
    getDb()
      .select()
      .from(environments)
      .where(and(eq(environments.applicationId, application.id), sql`lower(${environments.name}) = lower(${name})`)),
  );
  if (!environment) notFound();
  return { ...access, application, environment };
}

/** Path of an environment's pages: `/account/{a}/application/{b}/environment/{name}` (+ `/sub`). */
export function environmentPath(env: { accountId: number; applicationId: number; name: string }, sub = ""): string {
  return `/account/${env.accountId}/application/${env.applicationId}/environment/${encodeURIComponent(env.name)}${sub ? `/${sub}` : ""}`;
}
