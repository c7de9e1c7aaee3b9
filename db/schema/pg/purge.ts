// Mirrors db/schema/purge.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { PURGE_KINDS } from "../purge";
import { accounts } from "./accounts";
import { applications, environments } from "./applications";
import { id, int64, NOW_MS, timestampMs } from "./columns";
import { edgeNodes } from "./edge";
import { users } from "./users";

export const purges = pgTable(
  "purges",
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
    kind: text("kind", { enum: PURGE_KINDS }).notNull(),
    input: text("input").notNull(),
    ban: text("ban").notNull(),
    createdBy: int64("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("purges_environment_created_idx").on(t.environmentId, t.createdAt), index("purges_created_idx").on(t.createdAt)],
);

export const purgeNodeStates = pgTable(
  "purge_node_states",
  {
    purgeId: int64("purge_id")
      .notNull()
      .references(() => purges.id, { onDelete: "cascade" }),
    nodeId: int64("node_id")
      .notNull()
      .references(() => edgeNodes.id, { onDelete: "cascade" }),
    appliedAt: timestampMs("applied_at"),
    error: text("error"),
    reportedAt: timestampMs("reported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.purgeId, t.nodeId] }), index("purge_node_states_node_idx").on(t.nodeId)],
);
