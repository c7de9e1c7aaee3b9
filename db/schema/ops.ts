import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, check } from "drizzle-orm/sqlite-core";
import { DOMAIN_STATUSES } from "./domains";
import { users } from "./users";

/**
 * Number of domains per go-live status (plus `flagged`), platform-wide, for `/ops` (docs/product.md §3.5). Kept by SQLite
 * triggers on `domains` (migration 0004), so every insert, status change, flag change and delete — cascades
 * included — updates it in the same transaction. Never written by application code. On PostgreSQL the triggers
 * write `domain_status_deltas` instead (see there).
 */
export const domainStatusCounts = sqliteTable(
  "domain_status_counts",
  {
    /** A domain status, or `flagged`. */
    status: text("status").primaryKey(),
    count: integer("count").notNull().default(0),
  },
  (t) => [check("domain_status_counts_status_check", sql`${t.status} in ('pending','live','misconfigured','nxdomain','error','flagged')`)],
);

/**
 * Changes to `domain_status_counts` not folded in yet (PostgreSQL only). On PostgreSQL the triggers on `domains`
 * (db/migrations-pg) insert one row per change here — `status` a domain status or `flagged`, `delta` +1 or -1 —
 * instead of updating the counter row: inserts never wait on each other, whereas a trigger-kept counter row makes
 * concurrent transactions wait on that row and deadlock. The leader folds the rows into `domain_status_counts`;
 * readers add the deltas not folded yet. On SQLite (one writer) the triggers update `domain_status_counts` directly
 * and this table stays empty.
 */
export const domainStatusDeltas = sqliteTable("domain_status_deltas", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  status: text("status").notNull(),
  delta: integer("delta").notNull(),
});

/** One row per UTC day and status: the counts at the last snapshot of that day, drawn as the `/ops` chart. */
export const domainStatusSnapshots = sqliteTable(
  "domain_status_snapshots",
  {
    /** UTC day, `YYYY-MM-DD`. */
    day: text("day").notNull(),
    status: text("status").notNull(),
    count: integer("count").notNull(),
    takenAt: integer("taken_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.status] })],
);

/** What operators did on `/ops` (docs/product.md §3.2 "operator actions are recorded"). The email is kept if the user goes. */
export const operatorEvents = sqliteTable(
  "operator_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    operatorUserId: integer("operator_user_id").references(() => users.id, { onDelete: "set null" }),
    operatorEmail: text("operator_email").notNull(),
    /** Dotted kind, e.g. `ops.verify`. */
    action: text("action").notNull(),
    data: text("data", { mode: "json" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [index("operator_events_created_idx").on(t.createdAt)],
);

export { DOMAIN_STATUSES };
