import type {
  accounts,
  apiTokens,
  applications,
  auditEvents,
  dnsChecks,
  domains,
  emailTokens,
  environments,
  invitations,
  memberships,
  operatorEvents,
  recoveryCodes,
  securityEvents,
  userSessions,
  users,
} from "./schema";

// The row types of the console's tables, declared once (docs/architecture.md, "Data"): import them from here
// instead of writing `typeof table.$inferSelect` again.

export type UserRow = typeof users.$inferSelect;
export type UserSessionRow = typeof userSessions.$inferSelect;
export type EmailTokenRow = typeof emailTokens.$inferSelect;
export type RecoveryCodeRow = typeof recoveryCodes.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type SecurityEventRow = typeof securityEvents.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type AuditRow = typeof auditEvents.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;
export type DomainRow = typeof domains.$inferSelect;
export type DnsCheckRow = typeof dnsChecks.$inferSelect;
export type OperatorEventRow = typeof operatorEvents.$inferSelect;
