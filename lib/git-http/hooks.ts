import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { authSecret } from "@/lib/config";

// The console's git hooks (githooks(5)): `scripts/git-hooks/pre-receive` and `post-receive` run inside
// git-receive-pack(1), outside the Next bundle. They post the pushed ref updates back to the console on loopback
// (`/api/internal/git/<hook>`), authenticated by a secret made for each push (signed with a key derived from
// AUTH_SECRET, bound to the push's application, user and token, expiring) and handed to them only through the CGI
// environment of git-http-backend(1). `core.hooksPath` is set with `git -c` on every run, so
// every repository — old or new — uses them, and a hooks folder inside a repository is never used.

const HOOKS = ["pre-receive", "post-receive"] as const;

/** The hooks the console installs for pushes over HTTP. */
export type HookName = (typeof HOOKS)[number];

/** True for `pre-receive` and `post-receive`. */
export function isHookName(value: string): value is HookName {
  return (HOOKS as readonly string[]).includes(value);
}

/** How long a push's hook secret is good for (ms): a push that takes longer is refused by its hooks. */
export const HOOK_SECRET_TTL_MS = 60 * 60 * 1000;

/** The key hook secrets are signed with: derived from AUTH_SECRET (lib/config `authSecret`), so every instance agrees. */
function hookKey(): Buffer {
  return crypto.createHmac("sha256", authSecret()).update("edge-console git hook v1").digest();
}

function mac(payload: string): string {
  return crypto.createHmac("sha256", hookKey()).update(payload).digest("base64url");
}

/**
 * The secret of one push: `v1.<applicationId>.<userId>.<tokenId>.<expires ms>.<nonce>.<HMAC-SHA256>` signed with a
 * key derived from AUTH_SECRET. Made per push and bound to its context, so it authenticates that push's hooks on
 * any console instance (docs/product.md §11) and nothing else, for HOOK_SECRET_TTL_MS.
 */
export function pushHookSecret(context: PushContext, now: number = Date.now()): string {
  const payload = [
    "v1",
    context.applicationId,
    context.userId,
    context.tokenId,
    now + HOOK_SECRET_TTL_MS,
    crypto.randomBytes(12).toString("base64url"),
  ].join(".");
  return `${payload}.${mac(payload)}`;
}

/**
 * The push context a hook secret was made for, when its signature is right (constant-time comparison) and it has
 * not expired at `now`; else null.
 */
export function verifyHookSecret(presented: string | null | undefined, now: number = Date.now()): PushContext | null {
  const parts = presented?.split(".") ?? [];
  if (parts.length !== 7 || parts[0] !== "v1") return null;
  const payload = parts.slice(0, 6).join(".");
  const expected = Buffer.from(mac(payload));
  const given = Buffer.from(parts[6]);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  const [applicationId, userId, tokenId, expires] = parts.slice(1, 5).map(Number);
  if (!(expires > now)) return null;
  return { applicationId, userId, tokenId };
}

/** The folder of the hook scripts: `<project>/scripts/git-hooks` (the server runs from the project folder). */
export function defaultHooksDir(): string {
  return path.join(process.cwd(), "scripts", "git-hooks");
}

/**
 * True when both hooks in `dir` exist and are executable. git silently skips a hook that is not executable, which
 * would let pushes through unchecked: callers refuse pushes when this is false (fail closed).
 */
export function hooksInstalled(dir: string): boolean {
  return HOOKS.every((name) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return fs.statSync(path.join(dir, name)).isFile();
    } catch {
      return false;
    }
  });
}

/** The console's loopback base URL for hook callbacks: `http://127.0.0.1:$PORT/api/internal/git` (PORT default 3000). */
export function defaultHookBaseUrl(): string {
  return `http://127.0.0.1:${process.env.PORT || "3000"}/api/internal/git`;
}

/** Who is pushing to what: passed to the hooks in the environment, sent back by them with the ref updates. */
export type PushContext = { applicationId: number; userId: number; tokenId: number };

/**
 * The variables the hook scripts read (on top of git's own): the callback base URL, the secret, the node binary
 * that runs `hook.mjs`, and the push context (application, user and token ids).
 */
export function hookEnv(context: PushContext, options: { hookBaseUrl: string }): Record<string, string> {
  return {
    EDGE_CONSOLE_HOOK_URL: options.hookBaseUrl,
    EDGE_CONSOLE_HOOK_SECRET: pushHookSecret(context),
    EDGE_CONSOLE_NODE: process.execPath,
    EDGE_CONSOLE_APPLICATION_ID: String(context.applicationId),
    EDGE_CONSOLE_USER_ID: String(context.userId),
    EDGE_CONSOLE_TOKEN_ID: String(context.tokenId),
  };
}
