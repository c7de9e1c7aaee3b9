import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { getDb, first } from "@/db";
import { apiTokens, applications, users } from "@/db/schema";
import { can } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import { settings } from "@/lib/config";
import { repositoryPath } from "@/lib/repositories/paths";
import { TWO_FACTOR_REQUIRED_MESSAGE } from "@/lib/two-factor/requirement";
import { isHookName, verifyHookSecret } from "./hooks";
import { OBJECT_ID } from "./push-policy";
import { checkPush, environmentNames, quarantineEnv, recordPush } from "./receive";
import { log } from "@/lib/log";

// The loopback endpoint the hook scripts call (`POST /api/internal/git/{pre-receive,post-receive}`): not a
// public API, answered only with the push's own hook secret (see ./hooks). Answers `{ ok, messages }`; the hook
// prints the messages (git shows them as `remote: …`) and exits non-zero when `ok` is false.

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const id = z.number().int().positive();

/** The JSON a hook script posts: the push context from its environment, its stdin lines, the quarantine paths. */
export const hookRequestSchema = z.object({
  applicationId: id,
  userId: id,
  tokenId: id,
  updates: z
    .array(
      z.object({
        oldOid: z.string().regex(OBJECT_ID),
        newOid: z.string().regex(OBJECT_ID),
        ref: z
          .string()
          .min(6)
          .max(1024)
          .regex(/^refs\/[^\0\n\r]+$/),
      }),
    )
    .max(10_000),
  quarantine: z
    .object({
      objectDirectory: z.string().max(4096).optional(),
      alternateObjectDirectories: z.string().max(65_536).optional(),
      quarantinePath: z.string().max(4096).optional(),
    })
    .default({}),
});

const json = (status: number, body: { ok: boolean; messages: string[] }) =>
  Response.json(body, { status, headers: { "cache-control": "no-store" } });

const refuse = (message: string) => json(200, { ok: false, messages: [`Edge Console refused this push: ${message}`] });

/**
 * Handles a hook callback. Without the secret (`Authorization: Bearer <secret>`) or for an unknown hook: 404.
 * pre-receive: re-checks that the user may still push to the application, then runs `checkPush` on the pushed
 * objects (quarantine paths must lie inside the repository). post-receive: `recordPush` (new environments, audit).
 * Never throws: unexpected failures are logged and answered 503 (the hook then refuses the push).
 */
export async function handleGitHookRequest(request: Request, hook: string): Promise<Response> {
  const secret = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  const signed = verifyHookSecret(secret);
  if (request.method !== "POST" || !isHookName(hook) || !signed) return new Response("Not found.\n", { status: 404 });
  try {
    const raw = await request.text();
    if (raw.length > MAX_BODY_BYTES) return json(413, { ok: false, messages: ["Edge Console refused this push: too many refs at once."] });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const input = hookRequestSchema.safeParse(body);
    if (!input.success) return json(400, { ok: false, messages: ["Edge Console could not read this push's ref updates."] });
    const { applicationId, userId, tokenId, updates, quarantine } = input.data;
    // The secret was made for one push: the same application, user and token, or nothing.
    if (signed.applicationId !== applicationId || signed.userId !== userId || signed.tokenId !== tokenId) {
      return new Response("Not found.\n", { status: 404 });
    }

    const db = getDb();
    const application = await first(db.select().from(applications).where(eq(applications.id, applicationId)));
    const user = await first(db.select().from(users).where(eq(users.id, userId)));
    const token = await first(
      db
        .select({ prefix: apiTokens.prefix })
        .from(apiTokens)
        .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId))),
    );
    if (!application || !user || !token) return refuse("the application, user or token no longer exists.");

    if (hook === "pre-receive") {
      // The role is read again now (lib/auth/roles): removed, demoted or blocked by the account's 2FA rule since the
      // request began means no push.
      const role = await effectiveRole(application.accountId, userId);
      if (role.kind === "blocked") return refuse(TWO_FACTOR_REQUIRED_MESSAGE);
      if (role.kind === "none" || !can(role.role, "config.edit")) return refuse("your role no longer allows pushing to this repository.");
      const repoPath = repositoryPath(application);
      const objectEnv = quarantineEnv(repoPath, quarantine);
      if (!objectEnv) return refuse("the pushed objects are not inside the repository.");
      const result = await checkPush({ repoPath, environments: await environmentNames(application.id), updates, objectEnv });
      return json(200, result);
    }

    const actor = { id: user.id, name: user.name?.trim() || user.email };
    const result = await recordPush({ application, actor, tokenPrefix: token.prefix, updates, appUrl: settings().appUrl });
    return json(200, { ok: true, messages: result.messages });
  } catch (error) {
    log.error({ err: error }, `git ${hook} hook callback failed`);
    return json(503, { ok: false, messages: ["Edge Console could not check this push right now; nothing was changed. Try again later."] });
  }
}
