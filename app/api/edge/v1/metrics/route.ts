import { handleMetricsPush } from "@/lib/traffic/push-api";

// POST /api/edge/v1/metrics: a node's traffic counts (docs/edge.md "Metrics"). Thin: lib/traffic/push-api
// authenticates the node token, validates the push and records it.

export const dynamic = "force-dynamic";

export { handleMetricsPush as POST };
