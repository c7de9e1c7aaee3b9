import { ApiProblem, problemResponse, validationProblem } from "@/lib/api/problem";
import { readJsonBody } from "@/lib/api/body";
import { authenticateEdgeNode } from "@/lib/edge/nodes";
import { ingestMetricsPush, MAX_PUSH_BYTES, parseMetricsPush } from "./ingest";
import { log } from "@/lib/log";

// POST /api/edge/v1/metrics (docs/edge.md "Metrics"): a node's additive counts, authenticated by its node token.

/**
 * Handles one metrics push: 401 problem+json for a missing, unknown or revoked node token; 400 for a body that is not
 * a valid push (absurd numbers, an environment unknown to the edge, a minute out of range); 200
 * `{"duplicate": bool, "minutes": n, "ignored": n}` otherwise (a push id seen before is answered 200 with
 * `duplicate: true` and counted once).
 */
export async function handleMetricsPush(request: Request): Promise<Response> {
  try {
    const node = await authenticateEdgeNode(request.headers.get("authorization"));
    if (!node) {
      throw new ApiProblem("unauthorized", "Send a valid edge node token: Authorization: Bearer en_…", {
        headers: { "www-authenticate": 'Bearer realm="edge"' },
      });
    }
    const body = await readJsonBody(request, MAX_PUSH_BYTES);
    const parsed = parseMetricsPush(body);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    const result = await ingestMetricsPush(node.id, parsed.push);
    if (!result.ok) throw validationProblem(result.errors);
    return Response.json(
      { duplicate: result.duplicate, minutes: result.minutes, ignored: result.ignored },
      { status: 200, headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    if (error instanceof ApiProblem) return problemResponse(error);
    log.error({ err: error }, "metrics push: unexpected failure");
    return problemResponse(new ApiProblem("internal", "The console could not record the push; send it again."));
  }
}
