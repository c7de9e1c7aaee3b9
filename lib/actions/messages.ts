// Words shared by server actions, the API and background code. Kept apart from ./index.ts (which is `server-only`) so
// that code the worker runs (lib/edge/claims.ts through lib/dns/scheduler.ts) can use them too.

/** What a member who is not one (or a missing resource) is told: the same words everywhere, so ids cannot be probed. */
export const NOT_FOUND_MESSAGE = "Not found: it does not exist or you do not have access to it.";
