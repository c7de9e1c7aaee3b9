import type { Role } from "@/db/schema";

/**
 * What each role may do in an account (docs/product.md §2). One table decides every page, server action, API
 * operation, git request and mail list; each entry says in one sentence what it allows. A role missing from an
 * entry (or an unknown string) has no rights: checks fail closed. Nothing else in the code lists roles: ask `can`.
 */
export const PERMISSIONS = {
  "account.read": {
    roles: ["owner", "admin", "developer", "viewer"],
    allows: "See the account: applications, environments, domains, configuration, members, and fetch its repositories.",
  },
  "application.create": { roles: ["owner", "admin", "developer"], allows: "Create applications in the account (wizard, API)." },
  "config.edit": {
    roles: ["owner", "admin", "developer"],
    allows: "Commit configuration: editor, revert, promote, API patches and git pushes.",
  },
  "environment.manage": { roles: ["owner", "admin", "developer"], allows: "Create and delete environments." },
  "domain.manage": { roles: ["owner", "admin", "developer"], allows: "Add and remove an environment's domains." },
  "domain.verify": { roles: ["owner", "admin", "developer"], allows: "Run a go-live check now (Verify now)." },
  "members.manage": { roles: ["owner", "admin"], allows: "Invite members, change roles and remove members (admins never act on owners)." },
  "application.rename": { roles: ["owner", "admin"], allows: "Rename an application." },
  "application.delete": { roles: ["owner", "admin"], allows: "Delete an application (its repository is archived)." },
  "account.rename": { roles: ["owner", "admin"], allows: "Rename the account." },
  "audit.read": { roles: ["owner", "admin"], allows: "Read the account's audit log." },
  // Developers included: whoever may change an environment's origin can point it at a server of theirs and read the
  // header there, so hiding it from them would protect nothing (found by the edge QA round).
  "edge.secret.read": {
    roles: ["owner", "admin", "developer"],
    allows: "See an environment's X-Edge-Secret, the header the edge sends so the origin can refuse other requests.",
  },
  "edge.purge": {
    roles: ["owner", "admin", "developer"],
    allows: "Purge an environment's cache on the edge: everything, a path prefix or one URL.",
  },
  "edge.ban": { roles: ["owner", "admin"], allows: "Purge an environment's cache with a ban expression of their own." },
  "https.manage": {
    roles: ["owner", "admin"],
    allows: "Upload or remove a domain's own certificate, renew a certificate now, and switch an environment's HTTP-to-HTTPS redirect.",
  },
  "alerts.receive": {
    roles: ["owner", "admin"],
    allows: "Receive the account's alert mail (a live domain that stopped pointing at the edge).",
  },
  "account.delete": { roles: ["owner"], allows: "Delete the account with everything it owns." },
  "owner.grant": { roles: ["owner"], allows: "Make members owners, transfer ownership and act on other owners." },
  "account.require-two-factor": { roles: ["owner"], allows: "Require two-factor authentication of every member." },
} as const satisfies Record<string, { roles: readonly Role[]; allows: string }>;

export type Permission = keyof typeof PERMISSIONS;

/** True when `role` grants `permission`; false for unknown roles. */
export function can(role: string | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  return (PERMISSIONS[permission].roles as readonly string[]).includes(role);
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

/** The roles that hold `permission` (e.g. the members to mail for `alerts.receive`), in the table's order. */
export function rolesWith(permission: Permission): readonly Role[] {
  return PERMISSIONS[permission].roles;
}
