import { handleGitHttpRequest } from "@/lib/git-http";

// Git smart HTTP (docs/product.md §3.6): `git clone <APP_URL>/git/account/{accountId}/application/{appId}/{name}.git`.
// Thin: lib/git-http parses, authenticates, authorizes and runs git-http-backend(1). Every method is answered
// there (anything but the smart protocol's GET/POST requests is 404, never 405 or 500).

export const dynamic = "force-dynamic";

/** One git HTTP request (gitprotocol-http(5)); see `handleGitHttpRequest`. */
function handle(request: Request): Promise<Response> {
  return handleGitHttpRequest(request);
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE, handle as HEAD, handle as OPTIONS };
