import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, check } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { applications, environments } from "./applications";

export const DOMAIN_STATUSES = ["pending", "live", "misconfigured", "nxdomain", "error"] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/** A hostname served by an environment; a hostname belongs to at most one environment platform-wide (docs/product.md §3.5). */
export const domains = sqliteTable(
  "domains",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** Normalised A-label form (docs/product.md §4): the platform-wide unique key. */
    hostname: text("hostname").notNull().unique(),
    /** Unicode form for display (equal to `hostname` for ASCII names). */
    hostnameUnicode: text("hostname_unicode").notNull(),
    isApex: integer("is_apex", { mode: "boolean" }).notNull(),
    /** Value expected in `TXT _edge-challenge.<hostname>` when ownership must be proven. */
    verificationToken: text("verification_token").notNull(),
    /** True when the hostname already pointed at the edge when added: it needs the TXT record to go live. */
    ownershipRequired: integer("ownership_required", { mode: "boolean" }).notNull().default(false),
    /** When the TXT proof was first seen (recorded once): from then on the domain is routable (docs/product.md §8). */
    ownershipProvenAt: integer("ownership_proven_at", { mode: "timestamp_ms" }),
    status: text("status", { enum: DOMAIN_STATUSES }).notNull().default("pending"),
    /** Time of the last check (successful or not). */
    lastCheckedAt: integer("last_checked_at", { mode: "timestamp_ms" }),
    /** Time of the last check that got an answer (not a transient error). */
    lastSuccessAt: integer("last_success_at", { mode: "timestamp_ms" }),
    /** Set on a live → not-live change, cleared on return to live. */
    flagged: integer("flagged", { mode: "boolean" }).notNull().default(false),
    nextCheckAt: integer("next_check_at", { mode: "timestamp_ms" }),
    /** Consecutive checks without reaching live (drives the backoff). */
    failureStreak: integer("failure_streak").notNull().default(0),
    /** A checker holds the domain until this time; nobody else checks it meanwhile. */
    leaseUntil: integer("lease_until", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [
    index("domains_account_idx").on(t.accountId),
    index("domains_application_idx").on(t.applicationId),
    index("domains_environment_hostname_idx").on(t.environmentId, t.hostname),
    index("domains_next_check_idx").on(t.nextCheckAt),
    // /ops keyset pages ordered by hostname, filtered by status, flag or account (cost independent of table size).
    index("domains_status_hostname_idx").on(t.status, t.hostname),
    index("domains_account_hostname_idx").on(t.accountId, t.hostname),
    index("domains_flagged_hostname_idx").on(t.flagged, t.hostname),
    check("domains_status_check", sql`${t.status} in ('pending','live','misconfigured','nxdomain','error')`),
  ],
);

/** One go-live check of a domain: what was found, through which resolver, how long it took (docs/product.md §3.5). */
export const dnsChecks = sqliteTable(
  "dns_checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    domainId: integer("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    checkedAt: integer("checked_at", { mode: "timestamp_ms" }).notNull(),
    /** What this check's answers say (`error` for a transient failure). */
    outcome: text("outcome", { enum: DOMAIN_STATUSES }).notNull(),
    /** The domain's status after this check (a transient error keeps a known status). */
    status: text("status", { enum: DOMAIN_STATUSES }).notNull(),
    /** Short machine reason, e.g. `cname-target`, `foreign-a`, `dangling`, `loop`, `servfail`, `timeout`. */
    reason: text("reason").notNull(),
    /** JSON of the records found: `{ chain: string[], a: string[], aaaa: string[], txt?: string[], ttl?: number }`. */
    records: text("records", { mode: "json" }).notNull(),
    resolver: text("resolver").notNull(),
    durationMs: integer("duration_ms").notNull(),
    errorCode: text("error_code"),
  },
  (t) => [index("dns_checks_domain_idx").on(t.domainId, t.checkedAt)],
);
