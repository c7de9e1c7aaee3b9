// Mirrors db/schema/edge.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { edgeNodeEnvironments as sqliteEdgeNodeEnvironments } from "../edge";
import { accounts } from "./accounts";
import { applications, environments } from "./applications";
import { bytewiseText, id, int64, integerBoolean, NOW_MS, SQL_FALSE, timestampMs } from "./columns";
import { users } from "./users";

export const edgeNodes = pgTable(
  "edge_nodes",
  {
    id: id(),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
    revokedAt: timestampMs("revoked_at"),
    drain: integerBoolean("drain").notNull().default(SQL_FALSE),
    lastContactAt: timestampMs("last_contact_at"),
    address: text("address"),
    httpPort: int64("http_port"),
    httpsPort: int64("https_port"),
    appliedVersion: int64("applied_version"),
    tools: text("tools"),
    lastError: text("last_error"),
  },
  (t) => [uniqueIndex("edge_nodes_name_unique").on(sql`lower(${t.name})`)],
);

// SQLite's `integer(...).primaryKey()` is a rowid alias that numbers a row inserted without it; here the key is a
// plain bigint primary key and must be given (the console always does). parity.test.ts lists these keys.
export const edgeEnvironmentVersions = pgTable(
  "edge_environment_versions",
  {
    environmentId: int64("environment_id").primaryKey(),
    version: int64("version").notNull(),
    fingerprint: text("fingerprint").notNull(),
    commit: text("commit"),
    removedAt: timestampMs("removed_at"),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [index("edge_environment_versions_version_idx").on(t.version)],
);

export const edgeStateVersion = pgTable("edge_state_version", {
  id: int64("id").primaryKey(),
  version: int64("version").notNull(),
});

export const edgeNodeEnvironments = pgTable(
  "edge_node_environments",
  {
    nodeId: int64("node_id")
      .notNull()
      .references(() => edgeNodes.id, { onDelete: "cascade" }),
    environmentId: int64("environment_id").notNull(),
    version: int64("version").notNull(),
    status: text("status", { enum: sqliteEdgeNodeEnvironments.status.enumValues }).notNull(),
    servingCommit: text("serving_commit"),
    tool: text("tool"),
    message: text("message"),
    appliedAt: timestampMs("applied_at"),
    acmeTokens: jsonb("acme_tokens").$type<string[]>(),
    reportedAt: timestampMs("reported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.environmentId] }), index("edge_node_environments_env_idx").on(t.environmentId)],
);

export const domainClaims = pgTable(
  "domain_claims",
  {
    id: id(),
    hostname: bytewiseText("hostname").notNull(),
    hostnameUnicode: text("hostname_unicode").notNull(),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    applicationId: int64("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    environmentId: int64("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    verificationToken: text("verification_token").notNull(),
    createdBy: int64("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
    lastCheckedAt: timestampMs("last_checked_at"),
    lastResult: text("last_result"),
  },
  (t) => [
    uniqueIndex("domain_claims_hostname_environment_unique").on(t.hostname, t.environmentId),
    index("domain_claims_account_idx").on(t.accountId),
  ],
);

export const edgeCheckCache = pgTable("edge_check_cache", {
  key: text("key").primaryKey(),
  ok: integerBoolean("ok").notNull(),
  tool: text("tool").notNull(),
  message: text("message"),
  checkedAt: timestampMs("checked_at").notNull(),
});
