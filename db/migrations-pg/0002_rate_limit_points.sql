-- The table of rate-limiter-flexible's RateLimiterPostgres store (lib/rate-limit): its own columns, with `key` as
-- text (the library's DDL says varchar(255); a limiter prefix plus a 320-character email does not fit). On SQLite
-- lib/rate-limit creates the same table itself. Not in the Drizzle schema: only the library reads and writes it.
CREATE TABLE IF NOT EXISTS "rate_limit_points" (
  "key" text PRIMARY KEY,
  "points" integer NOT NULL DEFAULT 0,
  "expire" bigint
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "rate_limit_points_expire_idx" ON "rate_limit_points" ("expire");
