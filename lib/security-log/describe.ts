import { describeUserAgent } from "@/lib/auth/device";
import type { SecurityEventKind } from "./record";

/** What each kind of security event is called on `/settings/security-log`. */
export const SECURITY_EVENT_LABELS: Record<SecurityEventKind, string> = {
  "signin.success": "Signed in",
  "signin.failure": "Failed sign-in (wrong password)",
  "signin.rate-limited": "Sign-in refused (too many attempts)",
  "signin.two-factor-failure": "Failed sign-in (wrong two-factor code)",
  "signin.recovery-code": "Signed in with a recovery code",
  signout: "Signed out",
  "password.change": "Password changed",
  "password.reset": "Password reset by email link",
  "email.change-requested": "Email change requested",
  "email.change": "Email address changed",
  "email.change-reverted": "Email change undone (“This wasn’t me”)",
  "email.verify": "Email address verified",
  "two-factor.enable": "Two-factor authentication turned on",
  "two-factor.disable": "Two-factor authentication turned off",
  "two-factor.recovery-codes": "New recovery codes generated",
  "token.create": "API token created",
  "token.revoke": "API token revoked",
  "token.use": "API token used",
  "token.write-refused": "Write refused (read-only API token)",
  "session.revoke": "Session signed out",
  "session.revoke-all": "Signed out everywhere",
  "profile.update": "Profile updated",
  "reauth.failure": "Wrong current password",
};

/** The label of a stored kind; an unknown kind (written by a newer version) is shown as stored. */
export function securityEventLabel(kind: string): string {
  return (SECURITY_EVENT_LABELS as Record<string, string>)[kind] ?? kind;
}

/** What the current password was asked for (`reauth.failure` data `purpose`, lib/user-settings/reauth). */
const REAUTH_PURPOSES: Record<string, string> = {
  "password.change": "While changing the password",
  "email.change": "While changing the email address",
  "user.delete": "While deleting the user",
};

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/** "; 2 other sessions ended" for a positive count, else nothing. */
const endedSessions = (n: unknown) => (typeof n === "number" && n > 0 ? `; ${n} ${n === 1 ? "session" : "sessions"} ended` : "");

/** One line of details for an event from its JSON data (never secrets): addresses, token names, counts. */
export function securityEventDetails(kind: string, data: unknown): string | null {
  const d = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  switch (kind) {
    case "email.change-requested":
    case "email.change":
    case "email.change-reverted":
      return str(d.from) && str(d.to) ? `${d.from} → ${d.to}${endedSessions(d.revoked)}` : null;
    case "token.create":
    case "token.revoke":
    case "token.use":
      return str(d.tokenName) ? `Token “${d.tokenName}”${str(d.tokenPrefix) ? ` (${d.tokenPrefix}…)` : ""}` : null;
    case "token.write-refused":
      return str(d.tokenName)
        ? `Token “${d.tokenName}”${str(d.tokenPrefix) ? ` (${d.tokenPrefix}…)` : ""}${str(d.route) ? `: ${d.route}` : ""}`
        : null;
    case "session.revoke-all":
      return typeof d.revoked === "number" ? `${d.revoked} other ${d.revoked === 1 ? "session" : "sessions"} ended` : null;
    case "session.revoke":
      return `Session: ${describeUserAgent(str(d.sessionUserAgent))}${str(d.sessionIp) ? `, ${d.sessionIp}` : ""}`;
    case "profile.update":
      return "name" in d ? `Name: ${str(d.name) ?? "(none)"}` : null;
    case "password.change":
      return typeof d.revoked === "number" ? `${d.revoked} other ${d.revoked === 1 ? "session" : "sessions"} ended` : null;
    case "reauth.failure":
      return REAUTH_PURPOSES[str(d.purpose) ?? ""] ?? null;
    default:
      return str(d.reason) ?? str(d.summary);
  }
}
