import { checkDatabase } from "@/lib/ops/health";
import { log } from "@/lib/log";

export const dynamic = "force-dynamic";

/** GET /api/health — 200 `{ status: "ok" }` when the database answers a query, else 503 problem+json (docs/product.md §7). */
export async function GET() {
  try {
    await checkDatabase();
    return Response.json({ status: "ok", database: "ok" }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    log.error({ err: error }, "health check: database unusable");
    return Response.json(
      { type: "https://edge-console.dev/problems/unavailable", title: "Database unavailable", status: 503 },
      { status: 503, headers: { "content-type": "application/problem+json", "cache-control": "no-store" } },
    );
  }
}
