import "server-only";
import { notFound } from "next/navigation";
import { and, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { applications, environments } from "@/db/schema";
import { lookupAccount, requireApplication, type Access, type Lookup } from "@/lib/auth/access";
import type { Permission } from "@/lib/auth/permissions";
import { displayName } from "@/lib/auth/session";
import type { UserRow } from "@/db/queries/users";
import type { Actor } from "./commit";

type ApplicationRow = typeof applications.$inferSelect;
type EnvironmentRow = typeof environments.$inferSelect;

/** An environment, its application, and the user's access to their account. */
export type EnvironmentAccess = Access & { application: ApplicationRow; environment: EnvironmentRow };

const NOT_FOUND = { ok: false, status: 404, message: "Not found: it does not exist or you do not have access to it." } as const;

/**
 * For server actions: the environment with id `environmentId`, its application and the user's access. The account
 * is taken from the environment row (never from the form); a non-member gets 404, a member whose role (read now)
 * lacks `permission` gets 403 with a sentence naming `what`.
 */
export async function lookupEnvironment(
  user: UserRow,
  environmentId: number,
  permission: Permission,
  what: string,
): Promise<Lookup<EnvironmentAccess>> {
  const row = await getDb()
    .select({ environment: environments, application: applications })
    .from(environments)
    .innerJoin(applications, eq(applications.id, environments.applicationId))
    .where(eq(environments.id, environmentId))
    .get();
  if (!row) return NOT_FOUND;
  const access = await lookupAccount(user, row.application.accountId, permission, what);
  return access.ok ? { ok: true, value: { ...access.value, ...row } } : access;
}

/** The application with id `applicationId`, or undefined (no access check: the caller looks the account up next). */
export async function getApplicationById(applicationId: number): Promise<ApplicationRow | undefined> {
  return getDb().select().from(applications).where(eq(applications.id, applicationId)).get();
}

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
  const environment = await getDb()
    .select()
    .from(environments)
    .where(and(eq(environments.applicationId, application.id), sql`lower(${environments.name}) = lower(${name})`))
    .get();
  if (!environment) notFound();
  return { ...access, application, environment };
}

/** The signed-in user as the actor of a change (commit author, audit actor). */
export function actorOf(user: UserRow): Actor {
  return { id: user.id, name: displayName(user), email: user.email };
}

/** Path of an environment's pages: `/account/{a}/application/{b}/environment/{name}` (+ `/sub`). */
export function environmentPath(env: { accountId: number; applicationId: number; name: string }, sub = ""): string {
  return `/account/${env.accountId}/application/${env.applicationId}/environment/${encodeURIComponent(env.name)}${sub ? `/${sub}` : ""}`;
}
