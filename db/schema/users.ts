import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A person with a login (SPEC §1). Emails are stored trimmed and lower-cased. */
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
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});
