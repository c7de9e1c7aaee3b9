import { sql } from "drizzle-orm";
import { rowsOf } from "@/db";

/** Resolves when the database answers a query (`select 1` on the reader); rejects with the database's error otherwise. */
export async function checkDatabase(): Promise<void> {
  await rowsOf(sql`select 1`);
}
