import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { users } from "./users";

/** One website's delivery setup; one application = one bare git repository (docs/product.md §1, §5). */
export const applications = sqliteTable(
  "applications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Display name (renameable); starts as the Production hostname. */
    name: text("name").notNull(),
    /** The `{name}` of the clone URL; fixed at creation. */
    repoName: text("repo_name").notNull(),
    /** Folder name of the bare repository under `DATA_DIR/repositories`. */
    repoDir: text("repo_dir").notNull().unique(),
    /** Stack catalog id chosen at creation (docs/product.md §5). */
    stackId: text("stack_id").notNull(),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [index("applications_account_idx").on(t.accountId)],
);

/** A named variant of an application's configuration = one branch of its repository (docs/product.md §1, §3.4). */
export const environments = sqliteTable(
  "environments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    /** Branch name, `^[A-Za-z][A-Za-z0-9]*$`; unique per application compared case-insensitively. */
    name: text("name").notNull(),
    /** `X-Edge-Secret` the edge sends to this environment's origins (docs/product.md §8); made on first use. */
    edgeSecret: text("edge_secret"),
    /** "Redirect HTTP to HTTPS" (docs/product.md §9): 308 for hostnames that have a certificate; set by an admin. */
    redirectHttps: integer("redirect_https", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at", { mode: "timestamp_ms" })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [
    uniqueIndex("environments_application_name_unique").on(t.applicationId, sql`lower(${t.name})`),
    index("environments_account_idx").on(t.accountId),
  ],
);
