// Mirrors db/schema/users.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { pgTable, text } from "drizzle-orm/pg-core";
import { id, int64, NOW_MS, timestampMs } from "./columns";

export const users = pgTable("users", {
  id: id(),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  emailVerifiedAt: timestampMs("email_verified_at"),
  sessionVersion: int64("session_version").notNull().default(0),
  lastAccountId: int64("last_account_id"),
  totpSecret: text("totp_secret"),
  totpEnabledAt: timestampMs("totp_enabled_at"),
  createdAt: timestampMs("created_at").notNull().default(NOW_MS),
});
