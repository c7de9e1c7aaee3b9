import { createApiRouter } from "@/lib/api/router";
import { operations } from "@/lib/api/operations";

// REST API v1 (SPEC §3.6): one catch-all route, so every path answers with and without Section's trailing slash.
// Thin: lib/api/router authenticates, rate-limits, parses and validates, then runs the operation's handler.

export const dynamic = "force-dynamic";

const handle = createApiRouter(operations);

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
