import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { environments } from "./applications";
import { domains } from "./domains";

// HTTPS certificates (docs/product.md §9, docs/https.md): one certificate per domain (obtained through ACME or
// uploaded by an admin), the console's ACME account, and the HTTP-01 tokens the edge answers while an order (or the
// pre-flight) waits. Private keys are stored sealed (lib/https/secret-box.ts), never in clear.

export const CERTIFICATE_STATES = ["none", "pending", "issued", "failed"] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

export const CERTIFICATE_SOURCES = ["acme", "custom"] as const;
export type CertificateSource = (typeof CERTIFICATE_SOURCES)[number];

/**
 * The certificate of one domain (docs/product.md §9). `source` says who provides it: `acme` (the console orders it)
 * or `custom` (an admin uploaded it; used instead of ACME until removed). `state` is what the domain page shows.
 */
export const domainCertificates = sqliteTable(
  "domain_certificates",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    domainId: integer("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** A-label of the domain, lower-case (kept here so the scheduler and /ops need no join). */
    hostname: text("hostname").notNull(),
    source: text("source", { enum: CERTIFICATE_SOURCES }).notNull().default("acme"),
    state: text("state", { enum: CERTIFICATE_STATES }).notNull().default("none"),
    /** Issuer's distinguished name of the served certificate (its CN or O when present). */
    issuer: text("issuer"),
    notBefore: integer("not_before", { mode: "timestamp_ms" }),
    notAfter: integer("not_after", { mode: "timestamp_ms" }),
    /** Serial number, hex upper-case. */
    serial: text("serial"),
    /** JSON array of the certificate's DNS subject alternative names. */
    sans: text("sans", { mode: "json" }).$type<string[]>(),
    /** PEM: the leaf first, then the intermediates (public). */
    chainPem: text("chain_pem"),
    /** The private key, sealed (AES-256-GCM, lib/https/secret-box.ts); never shown, logged or audited. */
    privateKeySealed: text("private_key_sealed"),
    /** Why the last order (or pre-flight) failed: one sentence naming what to fix. */
    failureReason: text("failure_reason"),
    /** Which step failed: `dns`, `caa`, `http`, `nodes`, `acme`, `internal`. */
    failureStep: text("failure_step"),
    /** When the scheduler tries next (an order, a retry or a renewal); null when nothing is due. */
    nextTryAt: integer("next_try_at", { mode: "timestamp_ms" }),
    /** Consecutive failed attempts (reset on success). */
    attempts: integer("attempts").notNull().default(0),
    /** Start of the current run of failures (drives "every 10 minutes for 24 hours, then hourly"). */
    firstFailureAt: integer("first_failure_at", { mode: "timestamp_ms" }),
    lastAttemptAt: integer("last_attempt_at", { mode: "timestamp_ms" }),
    /** An order runs for this certificate until this time; nobody else orders it meanwhile. */
    leaseUntil: integer("lease_until", { mode: "timestamp_ms" }),
    /** Last "Renew now" (rate limit). */
    renewRequestedAt: integer("renew_requested_at", { mode: "timestamp_ms" }),
    /** When the "expires soon" mail was sent for the certificate that expires at `not_after` (once per certificate). */
    expiryMailedAt: integer("expiry_mailed_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
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

/** The console's ACME account (one per directory URL): its key sealed, its URL at the CA (RFC 8555 §7.3). */
export const acmeAccounts = sqliteTable(
  "acme_accounts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    directoryUrl: text("directory_url").notNull(),
    email: text("email").notNull(),
    /** The account URL the CA returned (the `kid`), null until registered. */
    accountUrl: text("account_url"),
    /** The account's private key (PEM), sealed like certificate keys. */
    keySealed: text("key_sealed").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [uniqueIndex("acme_accounts_directory_unique").on(t.directoryUrl)],
);

/**
 * An HTTP-01 token the edge answers at `/.well-known/acme-challenge/<token>` for `hostname` (RFC 8555 §8.3), carried
 * in the desired state of the domain's environment (docs/edge.md "Desired state": `acmeChallenges`). `kind` is
 * `acme` (an order's challenge) or `preflight` (the console's own reachability request, never sent to a CA).
 */
export const acmeChallenges = sqliteTable(
  "acme_challenges",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    certificateId: integer("certificate_id")
      .notNull()
      .references(() => domainCertificates.id, { onDelete: "cascade" }),
    environmentId: integer("environment_id").notNull(),
    hostname: text("hostname").notNull(),
    kind: text("kind", { enum: ["acme", "preflight"] }).notNull(),
    token: text("token").notNull(),
    keyAuthorization: text("key_authorization").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    /** Dropped from the desired state after this time even when the order never finished. */
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("acme_challenges_token_unique").on(t.token), index("acme_challenges_environment_idx").on(t.environmentId)],
);
