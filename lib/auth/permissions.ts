import type { Role } from "@/db/schema";

/**
 * What each role may do in an account (SPEC §2). One table decides every page, server action and route.
 * A role missing from the table (or an unknown string) has no rights: checks fail closed.
 */
export const PERMISSIONS = {
  "account.read": ["owner", "admin", "developer", "viewer"],
  "application.create": ["owner", "admin", "developer"],
  "config.edit": ["owner", "admin", "developer"],
  "environment.manage": ["owner", "admin", "developer"],
  "domain.manage": ["owner", "admin", "developer"],
  "domain.verify": ["owner", "admin", "developer"],
  "members.manage": ["owner", "admin"],
  "application.rename": ["owner", "admin"],
  "application.delete": ["owner", "admin"],
  "account.rename": ["owner", "admin"],
  "audit.read": ["owner", "admin"],
  "account.delete": ["owner"],
  "owner.grant": ["owner"],
  "account.require-two-factor": ["owner"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** True when `role` grants `permission`; false for unknown roles. */
export function can(role: string | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  return (PERMISSIONS[permission] as readonly string[]).includes(role);
}

const ROLE_LABELS: Record<Role, string> = { owner: "Owner", admin: "Admin", developer: "Developer", viewer: "Viewer" };

/** Display name of a role ("Viewer"); unknown roles show as they are. */
export function roleLabel(role: string): string {
  return ROLE_LABELS[role as Role] ?? role;
}

/**
 * A sentence for a member whose role lacks a permission, e.g. "Your role in this account (Viewer) cannot create
 * applications. Ask an owner or admin." With `permission`, it names who can (owners only for owner-only rights).
 */
export function forbiddenMessage(role: string, what: string, permission?: Permission): string {
  const ownersOnly = permission ? !can("admin", permission) : false;
  return `Your role in this account (${roleLabel(role)}) cannot ${what}. Ask ${ownersOnly ? "an owner" : "an owner or admin"}.`;
}
