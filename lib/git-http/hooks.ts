import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// The console's git hooks (githooks(5)): `scripts/git-hooks/pre-receive` and `post-receive` run inside
// git-receive-pack(1), outside the Next bundle. They post the pushed ref updates back to the console on loopback
// (`/api/internal/git/<hook>`), authenticated by a secret made once per server boot and handed to them only
// through the CGI environment of git-http-backend(1). `core.hooksPath` is set with `git -c` on every run, so
// every repository — old or new — uses them, and a hooks folder inside a repository is never used.

const SECRET_KEY = Symbol.for("edge-console.git-hook-secret");
const HOOKS = ["pre-receive", "post-receive"] as const;

/** The hooks the console installs for pushes over HTTP. */
export type HookName = (typeof HOOKS)[number];

/** True for `pre-receive` and `post-receive`. */
export function isHookName(value: string): value is HookName {
  return (HOOKS as readonly string[]).includes(value);
}

/**
 * This process's hook secret: 32 random bytes (base64url), made on first use and kept on `globalThis` so every
 * route bundle of the server sees the same one. Never written anywhere; a restart makes a new one.
 */
export function hookSecret(): string {
  const store = globalThis as unknown as Record<symbol, string | undefined>;
  return (store[SECRET_KEY] ??= crypto.randomBytes(32).toString("base64url"));
}

/** True when `presented` is this process's hook secret (constant-time comparison of SHA-256 digests). */
export function verifyHookSecret(presented: string | null | undefined): boolean {
  if (!presented) return false;
  const digest = (value: string) => crypto.createHash("sha256").update(value, "utf8").digest();
  return crypto.timingSafeEqual(digest(presented), digest(hookSecret()));
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
    EDGE_CONSOLE_HOOK_SECRET: hookSecret(),
    EDGE_CONSOLE_NODE: process.execPath,
    EDGE_CONSOLE_APPLICATION_ID: String(context.applicationId),
    EDGE_CONSOLE_USER_ID: String(context.userId),
    EDGE_CONSOLE_TOKEN_ID: String(context.tokenId),
  };
}
