import { headers } from "next/headers";
import type { Session, User } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { requestInfo, type RequestInfo } from "@/lib/security-log/request-info";
import { currentVersionForSession, startUserSession } from "./sessions";

// The session-token callbacks of Auth.js (lib/auth/auth.ts), kept apart so they can be tested without Next's
// runtime. The token carries the user id (`uid`), the user's session version at sign-in (`sv`) and the key of its
// `user_sessions` row (`sk`); a token is alive only while that row is unrevoked and `sv` is the user's version
// (docs/product.md §3.1 sessions) — the rule `getCurrentUser` (lib/auth/session.ts) applies to pages and actions.

/** IP and User-Agent of the request being handled (server action or route handler); empty outside a request. */
export async function currentRequestInfo(): Promise<RequestInfo> {
  try {
    return requestInfo(await headers());
  } catch {
    return { ip: null, userAgent: null };
  }
}

/** True when the token's session row (`sk`) is unrevoked and its version (`sv`) is the user's current one. */
export async function isLiveSessionToken(token: Record<string, unknown>): Promise<boolean> {
  const uid = Number(token.uid);
  if (!Number.isInteger(uid) || uid <= 0 || typeof token.sk !== "string" || token.sk.length > 100) return false;
  const version = await currentVersionForSession({ userId: uid, sessionKey: token.sk });
  return version !== null && version === Number(token.sv ?? 0);
}

/**
 * Auth.js `jwt` callback. Sign-in (`user`): a `user_sessions` row (and `signin.success`) per sign-in, its key in the
 * token. Update: only the server's `unstable_update({ sk })` after a password change, an email change or "sign out
 * everywhere" moves a token to the new session row it names (fresh random key, unrevoked, this user's) and the
 * user's new version; any client can call Auth.js's update endpoint, so an update without such a key changes
 * nothing. Every use of an existing token — `/api/auth/session` GET and POST (update), `auth()` — then checks it:
 * a token whose row is revoked or gone, or whose version is outdated, is dead: null, so Auth.js answers no session
 * and clears the cookie instead of re-issuing it.
 */
export async function jwtCallback(params: { token: JWT; user?: User | null; trigger?: string; session?: unknown }): Promise<JWT | null> {
  const { token, user, trigger, session } = params;
  if (user) {
    const uid = Number(user.id);
    token.uid = uid;
    token.sv = (user as { sessionVersion?: number }).sessionVersion ?? 0;
    token.sk = await startUserSession({ userId: uid, request: await currentRequestInfo() });
    return token;
  }
  if (trigger === "update") {
    const next = (session as { sk?: unknown } | undefined)?.sk;
    if (typeof next === "string" && next !== token.sk) {
      const version = await currentVersionForSession({ userId: Number(token.uid), sessionKey: next });
      if (version !== null) {
        token.sk = next;
        token.sv = version;
      }
    }
  }
  return (await isLiveSessionToken(token)) ? token : null;
}

/** Auth.js `session` callback: the user id and version only; the session key stays inside the encrypted token. */
export function sessionCallback({ session, token }: { session: Session; token: JWT }): Session {
  if (session.user) session.user.id = String(token.uid);
  (session as unknown as { sessionVersion: number }).sessionVersion = Number(token.sv ?? 0);
  return session;
}
