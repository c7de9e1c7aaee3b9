/** The two databases the console runs on (docs/architecture.md, "Data"). */
export type DatabaseDialect = "sqlite" | "postgres";

/**
 * Which database this process uses: PostgreSQL when `DATABASE_URL` is set (a `postgres://` or `postgresql://` URL),
 * else the embedded SQLite file in `DATA_DIR`. Read from the environment on each call; the schema module reads it
 * once when it is first imported, so a process never switches dialect.
 */
export function databaseDialect(env: NodeJS.ProcessEnv = process.env): DatabaseDialect {
  return env.DATABASE_URL ? "postgres" : "sqlite";
}
