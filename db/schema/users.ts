import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A person with a login (docs/product.md §1). Emails are stored trimmed and lower-cased. */
export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  emailVerifiedAt: integer("email_verified_at", { mode: "timestamp_ms" }),
  /** Bumped to sign the user out everywhere; every session carries the version it was issued with. */
  sessionVersion: integer("session_version").notNull().default(0),
  /** The account the console opens on (the switcher remembers the last one used). */
  lastAccountId: integer("last_account_id"),
  /** TOTP secret (RFC 6238), encrypted with a key derived from the auth secret; set at enrolment, kept when enabled. */
  totpSecret: text("totp_secret"),
  /** When two-factor authentication was confirmed with a first code; null = not enabled. */
  totpEnabledAt: integer("totp_enabled_at", { mode: "timestamp_ms" }),
  createdAt: integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
});
