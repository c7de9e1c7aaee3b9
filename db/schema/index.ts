import { databaseDialect } from "../dialect";
import * as pg from "./pg";
import * as sqlite from "./sqlite";

// The tables the console queries (docs/architecture.md, "Data"). Both dialects define every table with the same
// name, columns and inferred row types (db/schema/parity.test.ts checks it), so the code is written once against the
// SQLite definitions' types and gets the PostgreSQL tables at run time when `DATABASE_URL` is set. Constants and
// types (ROLES, DomainStatus…) come from the SQLite modules for both.
export * from "./sqlite";

const active = (databaseDialect() === "postgres" ? pg : sqlite) as unknown as typeof sqlite;

export const {
  accounts,
  memberships,
  applications,
  environments,
  auditEvents,
  domains,
  dnsChecks,
  edgeNodes,
  edgeEnvironmentVersions,
  edgeStateVersion,
  edgeNodeEnvironments,
  domainClaims,
  edgeCheckCache,
  domainCertificates,
  acmeAccounts,
  acmeChallenges,
  domainStatusCounts,
  domainStatusSnapshots,
  operatorEvents,
  invitations,
  emailTokens,
  purges,
  purgeNodeStates,
  userSessions,
  recoveryCodes,
  securityEvents,
  apiTokens,
  trafficMinutes,
  trafficHours,
  trafficNodeMinutes,
  trafficNodeHours,
  trafficPushes,
  trafficRecentRequests,
  trafficAlerts,
  users,
  domainStatusDeltas,
} = active;
