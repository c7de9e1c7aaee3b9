// Mirrors db/schema/applications.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { sql } from "drizzle-orm";
import { index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id, int64, integerBoolean, NOW_MS, SQL_FALSE, timestampMs } from "./columns";
import { users } from "./users";

export const applications = pgTable(
  "applications",
  {
    id: id(),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    repoName: text("repo_name").notNull(),
    repoDir: text("repo_dir").notNull().unique(),
    stackId: text("stack_id").notNull(),
    createdBy: int64("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [index("applications_account_idx").on(t.accountId)],
);

export const environments = pgTable(
  "environments",
  {
    id: id(),
    accountId: int64("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    applicationId: int64("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    edgeSecret: text("edge_secret"),
    redirectHttps: integerBoolean("redirect_https").notNull().default(SQL_FALSE),
    createdAt: timestampMs("created_at").notNull().default(NOW_MS),
  },
  (t) => [
    uniqueIndex("environments_application_name_unique").on(t.applicationId, sql`lower(${t.name})`),
    index("environments_account_idx").on(t.accountId),
  ],
);
