import "server-only";
import { cache } from "react";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { decode } from "next-auth/jwt";
import { authSecret } from "@/lib/config";
import { getUserById, type UserRow } from "@/lib/users/queries";
import { requestInfo } from "@/lib/security-log/request-info";
import { checkUserSession } from "./sessions";

/** Cookie names of the Auth.js session token: `__Secure-` over HTTPS, plain over HTTP (Auth.js defaults). */
const SESSION_COOKIES = ["__Secure-authjs.session-token", "authjs.session-token"] as const;

/** Claims of the console's session token (lib/auth/auth.ts `jwt` callback): user id, session version, session key. */
type SessionClaims = { uid: number; sv: number; sk: string | null };

/**
 * The session token's claims, decrypted from this request's cookies (Auth.js JWE, salted with the cookie name;
 * chunked cookies `name.0`, `name.1`… joined), or null. Read through `cookies()` rather than `auth()`: in the render
 * that follows a server action, `cookies()` holds the token the action just re-issued (password change, sign out
 * everywhere), while `auth()` reads the request's original Cookie header.
 */
async function readSessionClaims(): Promise<SessionClaims | null> {
  const store = await cookies();
  for (const name of SESSION_COOKIES) {
    const whole = store.get(name)?.value;
    const chunks = store
      .getAll()
      .filter((c) => c.name.startsWith(`${name}.`))
      .sort((a, b) => Number(a.name.slice(name.length + 1)) - Number(b.name.slice(name.length + 1)))
      .map((c) => c.value);
    const value = whole ?? (chunks.length ? chunks.join("") : null);
    if (!value) continue;
    try {
      const token = await decode({ token: value, secret: authSecret(), salt: name });
      const uid = Number(token?.uid);
      if (!token || !Number.isInteger(uid) || uid <= 0) return null;
      return { uid, sv: Number(token.sv ?? 0), sk: typeof token.sk === "string" ? token.sk : null };
    } catch {
      return null; // not decryptable with this secret, or expired
    }
  }
  return null;
}

/**
 * The signed-in user of this request, read from the database (never trusted from the token alone), or null
 * when signed out, deleted, or signed out everywhere: the token's session version must equal the user's, and its
 * session row (`user_sessions`, by the key in the token) must exist and be unrevoked. Bumps the row's last-seen
 * time at most once a minute.
 */
export const getCurrentUser = cache(async (): Promise<UserRow | null> => {
  const claims = await readSessionClaims();
  if (!claims) return null;
  const user = await getUserById({ id: claims.uid });
  if (!user) return null;
  if (claims.sv !== user.sessionVersion) return null;
  const ip = requestInfo(await headers()).ip;
  if (!(await checkUserSession({ userId: user.id, sessionKey: claims.sk, ip }))) return null;
  return user;
});

/** The session key (`user_sessions.session_key`) of this request's token, or null when signed out. */
export const getCurrentSessionKey = cache(async (): Promise<string | null> => (await readSessionClaims())?.sk ?? null);

/** The signed-in user, or a redirect to `/login` that comes back to `returnTo` afterwards. */
export async function requireUser(returnTo?: string): Promise<UserRow> {
  const user = await getCurrentUser();
  if (!user) redirect(returnTo ? `/login?callbackUrl=${encodeURIComponent(returnTo)}` : "/login");
  return user;
}

/** The name shown for a user in the console and the audit log. */
export function displayName(user: Pick<UserRow, "name" | "email">): string {
  return user.name?.trim() || user.email;
}
