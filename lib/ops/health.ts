import { sql } from "drizzle-orm";
import { getDb } from "@/db";

/** Resolves when the database answers a query (`select 1` on the reader); rejects with the database's error otherwise. */
export async function checkDatabase(): Promise<void> {
  await getDb().get(sql`select 1`);
}
