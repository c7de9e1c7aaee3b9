// Mirrors db/schema/https.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { acmeChallenges as sqliteAcmeChallenges, CERTIFICATE_SOURCES, CERTIFICATE_STATES } from "../https";
import { accounts } from "./accounts";
import { environments } from "./applications";
import { bytewiseText, id, int64, NOW_MS, timestampMs } from "./columns";
import { domains } from "./domains";

export const domainCertificates = pgTable(
  "domain_certificates",
  {
    id: id(),
    domainId: int64("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    environmentId: int64("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    hostname: bytewiseText("hostname").notNull(),
    source: text("source", { enum: CERTIFICATE_SOURCES }).notNull().default("acme"),
    state: text("state", { enum: CERTIFICATE_STATES }).notNull().default("none"),
    issuer: text("issuer"),
    notBefore: timestampMs("not_before"),
    notAfter: timestampMs("not_after"),
    serial: text("serial"),
    sans: jsonb("sans").$type<string[]>(),
    chainPem: text("chain_pem"),
    privateKeySealed: text("private_key_sealed"),
    failureReason: text("failure_reason"),
    failureStep: text("failure_step"),
    nextTryAt: timestampMs("next_try_at"),
    attempts: int64("attempts").notNull().default(0),
    firstFailureAt: timestampMs("first_failure_at"),
    lastAttemptAt: timestampMs("last_attempt_at"),
    leaseUntil: timestampMs("lease_until"),
    renewRequestedAt: timestampMs("renew_requested_at"),
    expiryMailedAt: timestampMs("expiry_mailed_at"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
    updatedAt: timestampMs("updated_at").notNull().default(NOW_MS),
  },
  (t) => [
    uniqueIndex("domain_certificates_domain_unique").on(t.domainId),
    index("domain_certificates_environment_idx").on(t.environmentId),
    index("domain_certificates_next_try_idx").on(t.nextTryAt),
    index("domain_certificates_state_idx").on(t.state, t.hostname),
    check("domain_certificates_state_check", sql`${t.state} in ('none','pending','issued','failed')`),
    check("domain_certificates_source_check", sql`${t.source} in ('acme','custom')`),
  ],
);

export const acmeAccounts = pgTable(
  "acme_accounts",
  {
    id: id(),
    directoryUrl: text("directory_url").notNull(),
    email: text("email").notNull(),
    accountUrl: text("account_url"),
    keySealed: text("key_sealed").notNull(),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [uniqueIndex("acme_accounts_directory_unique").on(t.directoryUrl)],
);

export const acmeChallenges = pgTable(
  "acme_challenges",
  {
    id: id(),
    certificateId: int64("certificate_id")
      .notNull()
      .references(() => domainCertificates.id, { onDelete: "cascade" }),
    environmentId: int64("environment_id").notNull(),
    hostname: bytewiseText("hostname").notNull(),
    kind: text("kind", { enum: sqliteAcmeChallenges.kind.enumValues }).notNull(),
    token: text("token").notNull(),
    keyAuthorization: text("key_authorization").notNull(),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
    expiresAt: timestampMs("expires_at").notNull(),
  },
  (t) => [uniqueIndex("acme_challenges_token_unique").on(t.token), index("acme_challenges_environment_idx").on(t.environmentId)],
);
