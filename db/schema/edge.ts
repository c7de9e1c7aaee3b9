import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { applications, environments } from "./applications";
import { users } from "./users";

// The edge's bookkeeping in the console (docs/edge.md): nodes and their tokens, the desired state's versions, what
// each node reported, hostname claims, and the cache of the native tools' verdicts.

/**
 * An edge node (docs/product.md §8): one agent, authenticated by a node token (`en_` + 32 random bytes, shown once,
 * stored as a SHA-256 hash). Revoked nodes keep their row (history) and get 401.
 */
export const edgeNodes = sqliteTable(
  "edge_nodes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Operator's name for the node, unique: `edge-1`, `fra-2`. */
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    /** First characters of the token (`en_AbCd`), to tell tokens apart. */
    prefix: text("prefix").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    /** Operators take a drained node out of DNS; the node keeps serving and reporting. */
    drain: integer("drain", { mode: "boolean" }).notNull().default(false),
    lastContactAt: integer("last_contact_at", { mode: "timestamp_ms" }),
    /** The address the node reported (else the peer address of its last report). */
    address: text("address"),
    httpPort: integer("http_port"),
    httpsPort: integer("https_port"),
    /** Global desired-state version the node last reported as applied. */
    appliedVersion: integer("applied_version"),
    /** JSON: versions of the tools the node runs, e.g. {"haproxy":"2.6.12","varnish":"7.1.1"}. */
    tools: text("tools"),
    /** The node's last node-wide error (e.g. HAProxy refused the global part), null when none. */
    lastError: text("last_error"),
  },
  (t) => [uniqueIndex("edge_nodes_name_unique").on(sql`lower(${t.name})`)],
);

/**
 * The desired state's version per environment (docs/edge.md "Versions"). A row is rewritten with the next global
 * version whenever the environment's fingerprint (commit, routable hostnames, secret, settings) changes. No foreign
 * key: the row outlives its environment as a removal (`removed_at` set) so nodes learn to drop it.
 */
export const edgeEnvironmentVersions = sqliteTable(
  "edge_environment_versions",
  {
    environmentId: integer("environment_id").primaryKey(),
    version: integer("version").notNull(),
    fingerprint: text("fingerprint").notNull(),
    commit: text("commit"),
    removedAt: integer("removed_at", { mode: "timestamp_ms" }),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("edge_environment_versions_version_idx").on(t.version)],
);

/** One row: the global desired-state version (a sequence; docs/edge.md "Versions"). */
export const edgeStateVersion = sqliteTable("edge_state_version", {
  id: integer("id").primaryKey(),
  version: integer("version").notNull(),
});

/** What a node last reported for an environment: the commit it serves, or the tool that refused and its message. */
export const edgeNodeEnvironments = sqliteTable(
  "edge_node_environments",
  {
    nodeId: integer("node_id")
      .notNull()
      .references(() => edgeNodes.id, { onDelete: "cascade" }),
    environmentId: integer("environment_id").notNull(),
    /** The desired version this report is about. */
    version: integer("version").notNull(),
    /** `applied` or `failed`. */
    status: text("status", { enum: ["applied", "failed"] }).notNull(),
    /** The commit the node serves for this environment now (after a failure: the previous one, or null). */
    servingCommit: text("serving_commit"),
    /** On failure: the tool that refused (`varnishd`, `nginx`, `haproxy`, `node`, `policy`, `health`) and its message. */
    tool: text("tool"),
    message: text("message"),
    appliedAt: integer("applied_at", { mode: "timestamp_ms" }),
    /** JSON array: the HTTP-01 tokens the node answers for this environment after this report (docs/edge.md). */
    acmeTokens: text("acme_tokens", { mode: "json" }).$type<string[]>(),
    reportedAt: integer("reported_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.environmentId] }), index("edge_node_environments_env_idx").on(t.environmentId)],
);

/**
 * A claim on a hostname another account's environment holds (docs/product.md §3.5): whoever publishes
 * `TXT _edge-challenge.<hostname>` with the claim's token gets the hostname.
 */
export const domainClaims = sqliteTable(
  "domain_claims",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    hostname: text("hostname").notNull(),
    hostnameUnicode: text("hostname_unicode").notNull(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    verificationToken: text("verification_token").notNull(),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    lastCheckedAt: integer("last_checked_at", { mode: "timestamp_ms" }),
    /** What the last check found (one sentence), shown next to the claim. */
    lastResult: text("last_result"),
  },
  (t) => [
    uniqueIndex("domain_claims_hostname_environment_unique").on(t.hostname, t.environmentId),
    index("domain_claims_account_idx").on(t.accountId),
  ],
);

/** Verdicts of the native tools (`varnishd -C`, `nginx -t`, `node --check`) per file content (docs/edge.md "Checks"). */
export const edgeCheckCache = sqliteTable("edge_check_cache", {
  /** SHA-256 of the tool, its version and the rendered input. */
  key: text("key").primaryKey(),
  ok: integer("ok", { mode: "boolean" }).notNull(),
  tool: text("tool").notNull(),
  message: text("message"),
  checkedAt: integer("checked_at", { mode: "timestamp_ms" }).notNull(),
});
