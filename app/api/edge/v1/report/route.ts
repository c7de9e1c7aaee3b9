import { handleEdgeReport } from "@/lib/edge/api";

// POST /api/edge/v1/report: what an edge node applied or refused, and its heartbeat (docs/edge.md "Desired state").
// Thin: lib/edge/api authenticates the node token, validates the body and records it.

export const dynamic = "force-dynamic";

export { handleEdgeReport as POST };
