import { createApiRouter } from "@/lib/api/router";
import { operations } from "@/lib/api/operations";

// REST API v1 (docs/product.md §3.6): one catch-all route, so every path answers with and without Section's trailing slash.
// Thin: lib/api/router authenticates, rate-limits, parses and validates, then runs the operation's handler.

export const dynamic = "force-dynamic";

const handle = createApiRouter(operations);

// HEAD and OPTIONS are the router's too (not Next's defaults): GET without a body, and the path's real `Allow`.
export { handle as GET, handle as HEAD, handle as OPTIONS, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
