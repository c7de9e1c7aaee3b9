import "server-only";
import { notFound, redirect } from "next/navigation";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { applications } from "@/db/schema";
import type { AccountRow } from "@/lib/accounts/queries";
import type { UserRow } from "@/lib/users/queries";
import type { Role } from "@/db/schema";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { TWO_FACTOR_REQUIRED_MESSAGE, TWO_FACTOR_SETTINGS_PATH } from "@/lib/two-factor/requirement";
import { can, forbiddenMessage, type Permission } from "./permissions";
import { effectiveRole } from "./roles";
import { requireUser } from "./session";

export type Access = { user: UserRow; account: AccountRow; role: Role };

/** Thrown when a member's role lacks a permission; pages show `message`. */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

/**
 * Outcome of an access lookup that answers with a message instead of rendering a page (the REST API, lib/api/access).
 * `twoFactor` marks a member refused because the account requires two-factor authentication and they lack it.
 */
export type Lookup<T> = { ok: true; value: T } | { ok: false; status: 404 | 403; message: string; twoFactor?: true };

const NOT_FOUND = { ok: false, status: 404, message: NOT_FOUND_MESSAGE } as const;

/** Parses a route/form id; anything but a positive integer becomes a 404 (ids cannot be probed). */
export function parseId(raw: unknown): number {
  const id = toId(raw);
  if (id === null) notFound();
  return id;
}

/** A positive integer id, or null. */
export function toId(raw: unknown): number | null {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw > 0 ? raw : null;
  // Plain decimal digits only: "1e0", "0x1", " 1" and "01" are not ids (one URL per resource).
  if (typeof raw !== "string" || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * The user's access to an account, from `effectiveRole` (lib/auth/roles, read now) and the permission table: 404 for
 * non-members, 403 for a role lacking `permission`, and 403 (`twoFactor`) for any member without two-factor
 * authentication when the account requires it (docs/product.md §3.2): every page and action that derives access
 * here is refused for them.
 */
export async function lookupAccount(user: UserRow, accountId: number, permission: Permission, what: string): Promise<Lookup<Access>> {
  const member = await effectiveRole(accountId, user.id);
  if (member.kind === "none") return NOT_FOUND;
  if (member.kind === "blocked") return { ok: false, status: 403, message: TWO_FACTOR_REQUIRED_MESSAGE, twoFactor: true };
  if (!can(member.role, permission)) return { ok: false, status: 403, message: forbiddenMessage(member.role, what, permission) };
  return { ok: true, value: { user, account: member.account, role: member.role } };
}

function unwrap<T>(lookup: Lookup<T>, accountId: number): T {
  if (!lookup.ok) {
    if (lookup.status === 404) notFound();
    // The account requires two-factor authentication: the settings page explains it and offers to turn it on.
    if (lookup.twoFactor) redirect(`${TWO_FACTOR_SETTINGS_PATH}?required=${accountId}`);
    throw new ForbiddenError(lookup.message);
  }
  return lookup.value;
}

/**
 * For pages: the signed-in user's access to an account. `notFound()` for a missing account or a non-member;
 * `ForbiddenError` when the role (read from the database on this request) lacks `permission`; a redirect to
 * /settings/two-factor?required=<accountId> when the account requires two-factor authentication and they lack it.
 */
export async function requireAccount(accountId: number, permission: Permission = "account.read", what = "do this"): Promise<Access> {
  const user = await requireUser();
  return unwrap(await lookupAccount(user, accountId, permission, what), accountId);
}

/**
 * For pages: an application and the access to its account. The account is derived from the application row;
 * the `accountId` of the URL must match it (else 404), so another account's ids never resolve.
 */
export async function requireApplication(
  accountId: number,
  applicationId: number,
  permission: Permission = "account.read",
  what = "do this",
) {
  const user = await requireUser();
  const application = await first(getDb().select().from(applications).where(eq(applications.id, applicationId)));
  if (!application || application.accountId !== accountId) notFound();
  const access = unwrap(await lookupAccount(user, application.accountId, permission, what), application.accountId);
  return { ...access, application };
}
