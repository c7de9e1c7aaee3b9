// Mirrors db/schema/accounts.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { check, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ROLES } from "../accounts";
import { id, int64, integerBoolean, NOW_MS, SQL_FALSE, timestampMs } from "./columns";
import { users } from "./users";

export const accounts = pgTable("accounts", {
  id: id(),
  name: text("name").notNull(),
  requireTwoFactor: integerBoolean("require_two_factor").notNull().default(SQL_FALSE),
  createdAt: timestampMs("created_at").notNull().default(NOW_MS),
});

export const memberships = pgTable(
  "memberships",
  {
    id: id(),
    userId: int64("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [
    uniqueIndex("memberships_user_account_unique").on(t.userId, t.accountId),
    index("memberships_account_idx").on(t.accountId),
    check("memberships_role_check", sql`${t.role} in ('owner','admin','developer','viewer')`),
  ],
);
