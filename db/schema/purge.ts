import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { applications, environments } from "./applications";
import { edgeNodes } from "./edge";
import { users } from "./users";

// Purges (docs/product.md §10 "Purge", docs/edge.md "Purge"): each request as the ban it became, and when each node
// applied it (the nodes report applied purge ids).

export const PURGE_KINDS = ["all", "prefix", "url", "expression"] as const;

/** One purge of an environment: what was asked (kind, input) and the ban every node runs (obj.* only). */
export const purges = sqliteTable(
  "purges",
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
    kind: text("kind", { enum: PURGE_KINDS }).notNull(),
    /** What the person typed: the prefix, the URL or the expression ("" for everything). */
    input: text("input").notNull(),
    /** The ban sent to the nodes (lib/purge/expression.ts), always starting with the environment's term. */
    ban: text("ban").notNull(),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [index("purges_environment_created_idx").on(t.environmentId, t.createdAt), index("purges_created_idx").on(t.createdAt)],
);

/** What a node reported for a purge: when it applied it, or why it could not. */
export const purgeNodeStates = sqliteTable(
  "purge_node_states",
  {
    purgeId: integer("purge_id")
      .notNull()
      .references(() => purges.id, { onDelete: "cascade" }),
    nodeId: integer("node_id")
      .notNull()
      .references(() => edgeNodes.id, { onDelete: "cascade" }),
    appliedAt: integer("applied_at", { mode: "timestamp_ms" }),
    /** varnishd's message when the ban was refused; null once applied. */
    error: text("error"),
    reportedAt: integer("reported_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.purgeId, t.nodeId] }), index("purge_node_states_node_idx").on(t.nodeId)],
);
