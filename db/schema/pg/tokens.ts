// Mirrors db/schema/tokens.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { index, pgTable, text } from "drizzle-orm/pg-core";
import { id, int64, integerBoolean, NOW_MS, SQL_FALSE, timestampMs } from "./columns";
import { users } from "./users";

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: id(),
    userId: int64("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    readOnly: integerBoolean("read_only").notNull().default(SQL_FALSE),
    expiresAt: timestampMs("expires_at"),
    lastUsedAt: timestampMs("last_used_at"),
    revokedAt: timestampMs("revoked_at"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);
