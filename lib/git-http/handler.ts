import fs from "node:fs";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { applications } from "@/db/schema";
import { effectiveRole } from "@/lib/auth/roles";
import { authenticateToken, recordReadOnlyRefusal } from "@/lib/api-tokens";
import { requestInfo } from "@/lib/security-log/request-info";
import { repositoryPath } from "@/lib/applications/repository";
import { can, forbiddenMessage } from "@/lib/auth/permissions";
import { TWO_FACTOR_REQUIRED_MESSAGE, TWO_FACTOR_SETTINGS_PATH } from "@/lib/two-factor/requirement";
import { repositoriesDir, settings } from "@/lib/config";
import { runHttpBackend } from "./backend";
import { BASIC_CHALLENGE, tokenFromAuthorization } from "./credentials";
import { defaultHookBaseUrl, defaultHooksDir, hookEnv, hooksInstalled } from "./hooks";
import { parseGitHttpPath } from "./paths";
import { annotateRequest, log } from "@/lib/log";

// Git smart HTTP for application repositories (docs/product.md §3.6): `/git/account/{accountId}/application/{appId}/{name}.git`.
// Order of checks: the URL must be one of the smart protocol's three requests (else 404, before anything else);
// credentials (else 401 with a Basic challenge, whatever the repository, so ids cannot be probed without a
// token); the application must exist under that account with that name and the token's user must be a member
// (else 404); pushing needs "config.edit" and a token that is not read-only (else 403 with a sentence git prints;
// the refusal of a read-only token is also written to its owner's security log).

export type GitHttpOptions = {
  /** Base URL of the hook callbacks, default `http://127.0.0.1:$PORT/api/internal/git` (loopback only). */
  hookBaseUrl?: string;
  /** Folder holding the `pre-receive` / `post-receive` scripts, default `<cwd>/scripts/git-hooks`. */
  hooksDir?: string;
};

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** What git shows for a repository that does not exist or that the token's user may not see. */
const notFound = () => text(404, "Repository not found.");

function unauthorized(): Response {
  return text(
    401,
    `Authentication required: use the user name "token" and a personal API token as the password (create one at ${settings().appUrl}/settings/tokens).`,
    { "www-authenticate": BASIC_CHALLENGE },
  );
}

/**
 * Answers one git smart-HTTP request (gitprotocol-http(5)) for an application repository by running
 * git-http-backend(1) (see `runHttpBackend`): GET `info/refs?service=…` and POST `git-upload-pack` /
 * `git-receive-pack`. Auth is HTTP Basic with user `token` (or `section-token`) and a personal API token:
 * viewers and read-only tokens fetch; pushing needs a writable token of an owner, admin or developer. Pushes run
 * with `core.hooksPath` set to the console's hooks, which validate them before any ref moves. Never throws:
 * unexpected failures are logged and answered 503.
 */
export async function handleGitHttpRequest(request: Request, options: GitHttpOptions = {}): Promise<Response> {
  try {
    const url = new URL(request.url);
    const target = parseGitHttpPath(request.method, url.pathname, url.searchParams);
    if (!target) return text(404, "Not found.");

    const presented = tokenFromAuthorization(request.headers.get("authorization"));
    const auth = presented ? await authenticateToken(presented, { request: requestInfo(request.headers) }) : null;
    if (!auth) return unauthorized();

    const application = await first(getDb().select().from(applications).where(eq(applications.id, target.applicationId)));
    if (!application || application.accountId !== target.accountId || application.repoName !== target.repoName) return notFound();
    annotateRequest({ userId: auth.user.id, accountId: application.accountId }); // named in every later log line
    const member = await effectiveRole(application.accountId, auth.user.id);
    if (member.kind === "none" || !can(member.role, "account.read")) return notFound();
    if (member.kind === "blocked") return text(403, `${TWO_FACTOR_REQUIRED_MESSAGE} (${settings().appUrl}${TWO_FACTOR_SETTINGS_PATH})`);

    const hooksDir = options.hooksDir ?? defaultHooksDir();
    if (target.service === "git-receive-pack") {
      if (!can(member.role, "config.edit")) return text(403, forbiddenMessage(member.role, "push to this repository"));
      if (auth.token.readOnly) {
        // Also in the token owner's security log, at most once a minute per token and repository.
        const repository = `/git/account/${application.accountId}/application/${application.id}/${application.repoName}.git`;
        await recordReadOnlyRefusal({ token: auth.token, route: `git push ${repository}`, request: requestInfo(request.headers) });
        return text(
          403,
          `The token "${auth.token.name}" (${auth.token.prefix}…) is read-only: it can fetch but not push. Use a token without "Read-only" (${settings().appUrl}/settings/tokens).`,
        );
      }
      if (!hooksInstalled(hooksDir)) {
        log.error(`git push refused: the hooks in ${hooksDir} are missing or not executable, so pushes cannot be checked`);
        return text(503, "Pushing is unavailable right now: the console cannot check pushes. Try again later.");
      }
    }

    const repoDir = repositoryPath(application);
    if (!fs.existsSync(repoDir)) {
      log.error(`git: repository of application ${application.id} is missing at ${repoDir}`);
      return notFound();
    }

    return await runHttpBackend({
      projectRoot: repositoriesDir(),
      pathInfo: `/${application.repoDir}/${target.suffix}`,
      method: target.step === "advertise" ? "GET" : "POST",
      queryString: target.step === "advertise" ? `service=${target.service}` : "",
      contentType: request.headers.get("content-type"),
      contentLength: request.headers.get("content-length"),
      contentEncoding: request.headers.get("content-encoding"),
      gitProtocol: request.headers.get("git-protocol"),
      remoteUser: auth.user.email,
      body: target.step === "rpc" ? request.body : null,
      // receive.autogc=false: git-receive-pack would run `git gc --auto` after a push (git-config(1)); the leader's
      // maintenance (lib/git/maintenance.ts) is the only object housekeeping, and it never prunes.
      config: target.service === "git-receive-pack" ? { "core.hooksPath": hooksDir, "receive.autogc": "false" } : {},
      env:
        target.service === "git-receive-pack"
          ? hookEnv(
              { applicationId: application.id, userId: auth.user.id, tokenId: auth.token.id },
              { hookBaseUrl: options.hookBaseUrl ?? defaultHookBaseUrl() },
            )
          : {},
      signal: request.signal,
    });
  } catch (error) {
    log.error({ err: error }, "git HTTP request failed");
    return text(503, "The git service is unavailable right now. Try again later.");
  }
}
