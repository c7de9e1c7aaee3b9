import { metricsResponse } from "@/lib/metrics/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * GET /metrics — the console's Prometheus metrics for a scraper sending `Authorization: Bearer <METRICS_TOKEN>`;
 * 404 while METRICS_TOKEN is unset, 401 for a missing or wrong token (docs/architecture.md "Logs and metrics").
 * No session: the token is the scraper's credential, and the endpoint names no tenant's data.
 */
export async function GET(request: Request): Promise<Response> {
  return metricsResponse(request);
}
