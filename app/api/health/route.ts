import { sql } from "drizzle-orm";
import { getDb } from "@/db";

export const dynamic = "force-dynamic";

/** GET /api/health — 200 `{ status: "ok" }` when the database answers a query, else 503 problem+json (SPEC §7). */
export function GET() {
  try {
    getDb().get(sql`select 1`);
    return Response.json({ status: "ok", database: "ok" }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    console.error("health check: database unusable", error);
    return Response.json(
      { type: "https://edge-console.dev/problems/unavailable", title: "Database unavailable", status: 503 },
      { status: 503, headers: { "content-type": "application/problem+json", "cache-control": "no-store" } },
    );
  }
}
