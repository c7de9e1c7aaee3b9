import { defineConfig } from "drizzle-kit";

// The PostgreSQL migrations (db/schema/pg mirrors the SQLite schema): `npm run db:generate:pg`.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/pg/index.ts",
  out: "./db/migrations-pg",
});
