import "server-only";
import { and, eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { applications, domains } from "@/db/schema";
import { getEnvironmentByName } from "@/lib/applications/queries";
import type { ApiToken, TokenUser } from "@/lib/api-tokens";
import { lookupAccount, type Access } from "@/lib/auth/access";
import { can, forbiddenMessage, type Permission } from "@/lib/auth/permissions";
import { ENVIRONMENT_NAME_PATTERN } from "@/lib/section-config/schema";
import { normaliseHostname } from "@/lib/hostname";
import { ApiProblem, notFoundProblem } from "./problem";
import type { ApplicationRow, DomainRow } from "@/db/types";

// Authorization of API calls (docs/product.md §2, §3.6), the API flavour of lib/auth/access: the caller is a token's user
// (roles read from the database on every request), the account is always derived from the resource row, a
// non-member gets 404 exactly like the console's pages, a member whose role lacks the permission gets 403, and a
// read-only token may only use the read permissions.

/** Who is calling: the token's user (read now) and the token (for its read-only scope). */
export type ApiCaller = { user: TokenUser; token: ApiToken };

/** Permissions a read-only token keeps; every other permission is a write. */
const READ_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(["account.read", "audit.read"]);

/** True when `permission` changes something (refused to read-only tokens). */
export function isWritePermission(permission: Permission): boolean {
  return !READ_PERMISSIONS.has(permission);
}

/**
 * The caller's access to account `accountId` for `permission`: 404 (`not-found`) for a missing account or a
 * non-member; 403 `two-factor-required` for a member without 2FA when the account requires it; 403
 * `read-only-token` for a write with a read-only token; 403 `forbidden` for a role lacking it.
 * `what` completes "Your role … cannot <what>".
 */
export async function apiAccount(caller: ApiCaller, accountId: number, permission: Permission, what: string): Promise<Access> {
  const member = await lookupAccount(caller.user, accountId, "account.read", what);
  if (!member.ok) {
    if (member.status === 404) throw notFoundProblem();
    // A member without two-factor authentication in an account that requires it (docs/product.md §3.2): refused, as in pages.
    throw new ApiProblem(member.twoFactor ? "two-factor-required" : "forbidden", member.message);
  }
  if (isWritePermission(permission) && caller.token.readOnly) {
    throw new ApiProblem("read-only-token", `This token is read-only: it cannot ${what}. Create a token without the read-only scope.`);
  }
  if (!can(member.value.role, permission)) throw new ApiProblem("forbidden", forbiddenMessage(member.value.role, what, permission));
  return member.value;
}

/** An application of account `accountId` and the caller's access; 404 unless the application belongs to it. */
export async function apiApplication(caller: ApiCaller, accountId: number, applicationId: number, permission: Permission, what: string) {
  const application: ApplicationRow | undefined = await first(
    getDb().select().from(applications).where(eq(applications.id, applicationId)),
  );
  if (!application || application.accountId !== accountId) throw notFoundProblem();
  return { ...(await apiAccount(caller, application.accountId, permission, what)), application };
}

/**
 * An environment by name (compared ignoring case, docs/product.md §3.4) of the application, and the caller's access; 404 for a
 * name that could not be an environment's, or for anything the caller cannot see.
 */
export async function apiEnvironment(
  caller: ApiCaller,
  accountId: number,
  applicationId: number,
  name: string,
  permission: Permission,
  what: string,
) {
  if (!ENVIRONMENT_NAME_PATTERN.test(name) || name.length > 40) throw notFoundProblem();
  // Membership first, so a non-member learns nothing about which names exist.
  const access = await apiApplication(caller, accountId, applicationId, "account.read", what);
  const environment = await getEnvironmentByName({ applicationId: access.application.id, name });
  if (!environment) throw notFoundProblem();
  return { ...(await apiApplication(caller, accountId, applicationId, permission, what)), environment };
}

/**
 * A domain of account `accountId` by hostname (any form §4 accepts: Unicode, upper case, trailing dot), with its
 * application and the caller's access; 404 when the hostname is not one of that account's domains.
 */
export async function apiDomain(caller: ApiCaller, accountId: number, hostName: string, permission: Permission, what: string) {
  const host = normaliseHostname(hostName);
  if (!host.ok) throw notFoundProblem();
  await apiAccount(caller, accountId, "account.read", what);
  const domain: DomainRow | undefined = await first(
    getDb()
      .select()
      .from(domains)
      .where(and(eq(domains.hostname, host.hostname), eq(domains.accountId, accountId))),
  );
  if (!domain) throw notFoundProblem();
  return { ...(await apiAccount(caller, domain.accountId, permission, what)), domain };
}

/** Refuses a write by a read-only token (403 `read-only-token`) where no account is involved yet (e.g. creating one). */
export function requireWritableToken(caller: ApiCaller, what: string): void {
  if (caller.token.readOnly)
    throw new ApiProblem("read-only-token", `This token is read-only: it cannot ${what}. Create a token without the read-only scope.`);
}
