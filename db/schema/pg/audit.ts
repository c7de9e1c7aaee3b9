// Mirrors db/schema/audit.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id, int64, NOW_MS, timestampMs } from "./columns";
import { users } from "./users";

export const auditEvents = pgTable(
  "audit_events",
  {
    id: id(),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    actorUserId: int64("actor_user_id").references(() => users.id, { onDelete: "set null" }),
    actorName: text("actor_name").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: int64("target_id"),
    targetLabel: text("target_label").notNull(),
    data: jsonb("data"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("audit_events_account_idx").on(t.accountId, t.createdAt)],
);
