// Mirrors db/schema/domains.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { DOMAIN_STATUSES } from "../domains";
import { accounts } from "./accounts";
import { applications, environments } from "./applications";
import { bytewiseText, id, int64, integerBoolean, NOW_MS, SQL_FALSE, timestampMs } from "./columns";

export const domains = pgTable(
  "domains",
  {
    id: id(),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    applicationId: int64("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    environmentId: int64("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    hostname: bytewiseText("hostname").notNull().unique(),
    hostnameUnicode: text("hostname_unicode").notNull(),
    isApex: integerBoolean("is_apex").notNull(),
    verificationToken: text("verification_token").notNull(),
    ownershipRequired: integerBoolean("ownership_required").notNull().default(SQL_FALSE),
    ownershipProvenAt: timestampMs("ownership_proven_at"),
    status: text("status", { enum: DOMAIN_STATUSES }).notNull().default("pending"),
    lastCheckedAt: timestampMs("last_checked_at"),
    lastSuccessAt: timestampMs("last_success_at"),
    flagged: integerBoolean("flagged").notNull().default(SQL_FALSE),
    nextCheckAt: timestampMs("next_check_at"),
    failureStreak: int64("failure_streak").notNull().default(0),
    leaseUntil: timestampMs("lease_until"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [
    index("domains_account_idx").on(t.accountId),
    index("domains_application_idx").on(t.applicationId),
    index("domains_environment_hostname_idx").on(t.environmentId, t.hostname),
    index("domains_next_check_idx").on(t.nextCheckAt),
    index("domains_status_hostname_idx").on(t.status, t.hostname),
    index("domains_account_hostname_idx").on(t.accountId, t.hostname),
    index("domains_flagged_hostname_idx").on(t.flagged, t.hostname),
    check("domains_status_check", sql`${t.status} in ('pending','live','misconfigured','nxdomain','error')`),
  ],
);

export const dnsChecks = pgTable(
  "dns_checks",
  {
    id: id(),
    domainId: int64("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    checkedAt: timestampMs("checked_at").notNull(),
    outcome: text("outcome", { enum: DOMAIN_STATUSES }).notNull(),
    status: text("status", { enum: DOMAIN_STATUSES }).notNull(),
    reason: text("reason").notNull(),
    records: jsonb("records").notNull(),
    resolver: text("resolver").notNull(),
    durationMs: int64("duration_ms").notNull(),
    errorCode: text("error_code"),
  },
  (t) => [index("dns_checks_domain_idx").on(t.domainId, t.checkedAt)],
);
