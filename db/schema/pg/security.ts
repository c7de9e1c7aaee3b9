// Mirrors db/schema/security.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { id, int64, NOW_MS, timestampMs } from "./columns";
import { users } from "./users";

export const userSessions = pgTable(
  "user_sessions",
  {
    id: id(),
    userId: int64("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionKey: text("session_key").notNull().unique(),
    userAgent: text("user_agent"),
    ip: text("ip"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
    lastSeenAt: timestampMs("last_seen_at").notNull().default(NOW_MS),
    revokedAt: timestampMs("revoked_at"),
  },
  (t) => [index("user_sessions_user_idx").on(t.userId, t.lastSeenAt)],
);

export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: id(),
    userId: int64("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: timestampMs("used_at"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

export const securityEvents = pgTable(
  "security_events",
  {
    id: id(),
    userId: int64("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    data: jsonb("data"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("security_events_user_idx").on(t.userId, t.createdAt)],
);
