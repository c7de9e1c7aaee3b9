import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts, ROLES } from "./accounts";
import { users } from "./users";

export const INVITATION_STATUSES = ["pending", "accepted", "revoked", "replaced"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/**
 * An invitation to join an account with a role (docs/product.md §3.2). Only the SHA-256 of the link's token is stored.
 * A resend marks the row `replaced` (pointing at its successor) and inserts a new pending row.
 */
export const invitations = sqliteTable(
  "invitations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Normalised (trimmed, lower-cased) address the invitation was sent to. */
    email: text("email").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    status: text("status", { enum: INVITATION_STATUSES }).notNull().default("pending"),
    invitedBy: integer("invited_by").references(() => users.id, { onDelete: "set null" }),
    invitedByName: text("invited_by_name").notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    acceptedAt: integer("accepted_at", { mode: "timestamp_ms" }),
    acceptedBy: integer("accepted_by").references(() => users.id, { onDelete: "set null" }),
    replacedBy: integer("replaced_by"),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [
    index("invitations_account_idx").on(t.accountId, t.status),
    // At most one pending invitation per address and account.
    uniqueIndex("invitations_pending_unique")
      .on(t.accountId, t.email)
      .where(sql`${t.status} = 'pending'`),
    check("invitations_role_check", sql`${t.role} in ('owner','admin','developer','viewer')`),
    check("invitations_status_check", sql`${t.status} in ('pending','accepted','revoked','replaced')`),
  ],
);

export const EMAIL_TOKEN_KINDS = ["verify-email", "reset-password", "change-email", "revert-email-change"] as const;
export type EmailTokenKind = (typeof EMAIL_TOKEN_KINDS)[number];

/**
 * Single-use, expiring links sent by mail (email verification, password reset, email change — `email` is then the
 * new address, which takes effect when the link is followed — and its undo, "This wasn't me", mailed to the old
 * address, whose `email` is the address to restore); stored only as SHA-256 hashes.
 */
export const emailTokens = sqliteTable(
  "email_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: EMAIL_TOKEN_KINDS }).notNull(),
    /** The address the link was sent to (a verification proves this address). */
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [index("email_tokens_user_idx").on(t.userId, t.kind)],
);
