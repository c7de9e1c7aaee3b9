import { ApiProblem, problemResponse, validationProblem } from "@/lib/api/problem";
import { readJsonBody } from "@/lib/api/body";
import { clientIp } from "@/lib/rate-limit";
import { waitForEdgeVersion } from "./changes";
import { authenticateEdgeNode, type EdgeNodeRow } from "./nodes";
import { MAX_REPORT_BYTES, parseEdgeReport, recordEdgeReport } from "./report";
import { buildDesiredState } from "./state";
import { log } from "@/lib/log";

// The edge API's two handlers (docs/edge.md "Desired state"), called by the thin routes under app/api/edge/v1/.
// Only node tokens (`en_…`) are accepted here; a user's `ec_` token gets 401, as does a node token on /api/v1.

/** Longest long-poll a node may ask for, and the default (seconds). */
export const MAX_WAIT_SECONDS = 60;
export const DEFAULT_WAIT_SECONDS = 30;

const unauthorized = () =>
  new ApiProblem("unauthorized", "Send a valid edge node token: Authorization: Bearer en_… (made with npm run edge:token -- add <name>).", {
    headers: { "www-authenticate": 'Bearer realm="edge"' },
  });

async function authenticated(request: Request): Promise<EdgeNodeRow> {
  const node = await authenticateEdgeNode(request.headers.get("authorization"));
  if (!node) throw unauthorized();
  return node;
}

/** A whole number from the query string in [min, max], the default when absent, or a validation problem. */
function queryInteger(url: URL, name: string, min: number, max: number, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw validationProblem([{ field: `query.${name}`, message: `must be a whole number from ${min} to ${max}` }]);
  }
  return Number(raw);
}

async function answer(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ApiProblem) return problemResponse(error);
    log.error({ err: error }, "edge API: unexpected failure");
    return problemResponse(new ApiProblem("internal", "The console could not answer; try again."));
  }
}

/**
 * `GET /api/edge/v1/state?since=<version>&wait=<seconds>`: authenticates the node, waits (no transaction held) until
 * the global version passes `since`, the wait ends or the client goes away, then reads the node again (its drain flag
 * now; a token revoked meanwhile gets 401) and answers the desired state (200).
 * 401 problem+json for a missing, unknown or revoked token; 400 for a bad `since` or `wait`.
 */
export function handleEdgeState(request: Request): Promise<Response> {
  return answer(async () => {
    const url = new URL(request.url);
    const since = queryInteger(url, "since", 0, Number.MAX_SAFE_INTEGER, 0);
    const wait = queryInteger(url, "wait", 0, MAX_WAIT_SECONDS, DEFAULT_WAIT_SECONDS);
    await authenticated(request);
    await waitForEdgeVersion(since, wait * 1000, request.signal);
    if (request.signal.aborted) return new Response(null, { status: 499 });
    // Read again after the wait: a drain (or a revocation) made meanwhile is in this answer.
    const state = await buildDesiredState(await authenticated(request), since);
    return new Response(JSON.stringify(state), {
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  });
}

/**
 * `POST /api/edge/v1/report`: authenticates the node, validates the JSON body (docs/edge.md "Desired state") and
 * records it. 204; 401 problem+json for a bad token; 400 for a body that is not a valid report.
 */
export function handleEdgeReport(request: Request): Promise<Response> {
  return answer(async () => {
    const node = await authenticated(request);
    const body = await readJsonBody(request, MAX_REPORT_BYTES);
    const parsed = parseEdgeReport(body);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    const peer = clientIp(request.headers);
    await recordEdgeReport(node.id, parsed.report, peer === "unknown" ? null : peer);
    return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
  });
}
