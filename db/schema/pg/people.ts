// Mirrors db/schema/people.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { check, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ROLES } from "../accounts";
import { EMAIL_TOKEN_KINDS, INVITATION_STATUSES } from "../people";
import { accounts } from "./accounts";
import { id, int64, NOW_MS, timestampMs } from "./columns";
import { users } from "./users";

export const invitations = pgTable(
  "invitations",
  {
    id: id(),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    status: text("status", { enum: INVITATION_STATUSES }).notNull().default("pending"),
    invitedBy: int64("invited_by").references(() => users.id, { onDelete: "set null" }),
    invitedByName: text("invited_by_name").notNull(),
    expiresAt: timestampMs("expires_at").notNull(),
    acceptedAt: timestampMs("accepted_at"),
    acceptedBy: int64("accepted_by").references(() => users.id, { onDelete: "set null" }),
    replacedBy: int64("replaced_by"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [
    index("invitations_account_idx").on(t.accountId, t.status),
    uniqueIndex("invitations_pending_unique")
      .on(t.accountId, t.email)
      .where(sql`${t.status} = 'pending'`),
    check("invitations_role_check", sql`${t.role} in ('owner','admin','developer','viewer')`),
    check("invitations_status_check", sql`${t.status} in ('pending','accepted','revoked','replaced')`),
  ],
);

export const emailTokens = pgTable(
  "email_tokens",
  {
    id: id(),
    userId: int64("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: EMAIL_TOKEN_KINDS }).notNull(),
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: timestampMs("expires_at").notNull(),
    usedAt: timestampMs("used_at"),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("email_tokens_user_idx").on(t.userId, t.kind)],
);
