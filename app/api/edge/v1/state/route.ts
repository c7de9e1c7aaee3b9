import { handleEdgeState } from "@/lib/edge/api";

// GET /api/edge/v1/state: the desired state for an edge node, long-polled (docs/edge.md "Desired state").
// Thin: lib/edge/api authenticates the node token, validates the query and answers.

export const dynamic = "force-dynamic";

export { handleEdgeState as GET };
