import { handleGitHookRequest } from "@/lib/git-http";

// Loopback callbacks of the git hooks (scripts/git-hooks): internal, answered only with the push's own secret (lib/git-http/hooks.ts).

export const dynamic = "force-dynamic";

/** POST from `scripts/git-hooks/hook.mjs` (pre-receive / post-receive); anything else is 404. */
async function handle(request: Request, context: { params: Promise<{ hook: string }> }): Promise<Response> {
  const { hook } = await context.params;
  return handleGitHookRequest(request, hook);
}

export { handle as GET, handle as POST };
