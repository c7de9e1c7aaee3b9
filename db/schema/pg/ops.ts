// Mirrors db/schema/ops.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { id, int64, NOW_MS, timestampMs } from "./columns";
import { users } from "./users";

/** Never written by application code: see db/schema/ops.ts and `domainStatusDeltas`. */
export const domainStatusCounts = pgTable(
  "domain_status_counts",
  {
    status: text("status").primaryKey(),
    count: int64("count").notNull().default(0),
  },
  (t) => [check("domain_status_counts_status_check", sql`${t.status} in ('pending','live','misconfigured','nxdomain','error','flagged')`)],
);

/**
 * Filled by the triggers on `domains` (db/migrations-pg, domain_status_triggers), folded into `domain_status_counts`
 * by the leader; see db/schema/ops.ts.
 */
export const domainStatusDeltas = pgTable("domain_status_deltas", {
  id: id(),
  status: text("status").notNull(),
  delta: int64("delta").notNull(),
});

export const domainStatusSnapshots = pgTable(
  "domain_status_snapshots",
  {
    day: text("day").notNull(),
    status: text("status").notNull(),
    count: int64("count").notNull(),
    takenAt: timestampMs("taken_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.status] })],
);

export const operatorEvents = pgTable(
  "operator_events",
  {
    id: id(),
    operatorUserId: int64("operator_user_id").references(() => users.id, { onDelete: "set null" }),
    operatorEmail: text("operator_email").notNull(),
    action: text("action").notNull(),
    data: jsonb("data"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("operator_events_created_idx").on(t.createdAt)],
);
