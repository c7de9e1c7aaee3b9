import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { headers } from "next/headers";
import { z } from "zod";
import { authSecret } from "@/lib/config";
import { clientIp, consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";
import { normaliseEmail } from "./email";
import { verifyDecoy, verifyPassword } from "./password";
import { requireSecondFactor } from "./two-factor-step";
import { getUserByEmail } from "@/db/queries/users";
import { requestInfo, type RequestInfo } from "@/lib/security-log/request-info";
import { currentVersionForSession, endUserSession, SESSION_MAX_AGE_SECONDS, startUserSession } from "./sessions";
import { recordFailedSignIn, recordRateLimitedSignIn } from "./signin-events";

declare module "next-auth" {
  interface User {
    sessionVersion?: number;
  }
}

/** IP and User-Agent of the request being handled (server action or route handler); empty outside a request. */
async function currentRequestInfo(): Promise<RequestInfo> {
  try {
    return requestInfo(await headers());
  } catch {
    return { ip: null, userAgent: null };
  }
}

// `code`: the second step of a user with two-factor authentication (a TOTP code or a recovery code; lib/auth/two-factor-step).
const credentialsSchema = z.object({ email: z.string().max(320), password: z.string().max(256), code: z.string().max(64).optional() });

/**
 * Thrown by `authorize` when the login rate limit (per IP and per normalised email) refuses an attempt. The login
 * form shows `userMessage` ("Too many attempts. Try again in 3 minutes."); Auth.js's own endpoint answers as for
 * wrong credentials. The check sits in `authorize` so that no sign-in path (server action or
 * `/api/auth/callback/credentials`) escapes it. A successful sign-in gives its attempt back: failures count.
 */
export class LoginRateLimited extends CredentialsSignin {
  code = "rate_limited";
  constructor(
    readonly retryAfterSeconds: number,
    readonly userMessage: string,
  ) {
    super(userMessage);
  }
}

/**
 * Auth.js v5: email + password (argon2id) with JWT sessions. The token carries the user id, the user's session
 * version at sign-in and the key of its `user_sessions` row; `getCurrentUser()` checks both against the database on
 * every request.
 * The config is built lazily so `next build` never reads or writes the data folder.
 */
export const { handlers, auth, signIn, signOut, unstable_update } = NextAuth(() => ({
  secret: authSecret(),
  trustHost: true,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/login" },
  // A wrong password is an expected outcome, not an error worth a stack trace in the server log.
  logger: {
    error(error: Error) {
      if (error.name === "CredentialsSignin" || (error as { type?: string }).type === "CredentialsSignin") return;
      console.error("[auth]", error);
    },
  },
  providers: [
    Credentials({
      credentials: { email: {}, password: {}, code: {} },
      async authorize(raw, request) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new CredentialsSignin();
        const email = normaliseEmail(parsed.data.email);
        const keys = { ip: clientIp(request.headers), email };
        const limit = await consumeRateLimit("login", keys);
        if (!limit.ok) {
          await recordRateLimitedSignIn({ email, headers: request.headers });
          throw new LoginRateLimited(limit.retryAfterSeconds, limit.message);
        }
        const user = await getUserByEmail({ email });
        if (!user) {
          await verifyDecoy(parsed.data.password);
          throw new CredentialsSignin();
        }
        if (!(await verifyPassword(user.passwordHash, parsed.data.password))) {
          await recordFailedSignIn({ userId: user.id, headers: request.headers });
          throw new CredentialsSignin();
        }
        await refundRateLimit("login", keys); // only failed attempts use up the limit
        await requireSecondFactor(user, parsed.data.code, request.headers); // throws unless 2FA is off or the code is accepted
        return { id: String(user.id), email: user.email, name: user.name, sessionVersion: user.sessionVersion };
      },
    }),
  ],
  callbacks: {
    // Sign-in: a `user_sessions` row (and `signin.success`) per sign-in, its key in the token. Update: only the
    // server's `unstable_update({ sk })` after a password change or "sign out everywhere" moves a token to the new
    // session row it names (fresh random key, unrevoked, this user's) and the user's new version. Any client can
    // call Auth.js's update endpoint, so an update without such a key changes nothing; an old cookie stays dead.
    async jwt({ token, user, trigger, session }) {
      if (user) {
        const uid = Number(user.id);
        token.uid = uid;
        token.sv = user.sessionVersion ?? 0;
        token.sk = await startUserSession({ userId: uid, request: await currentRequestInfo() });
      } else if (trigger === "update") {
        const next = (session as { sk?: unknown } | undefined)?.sk;
        if (typeof next === "string" && next !== token.sk) {
          const version = await currentVersionForSession({ userId: Number(token.uid), sessionKey: next });
          if (version !== null) {
            token.sk = next;
            token.sv = version;
          }
        }
      }
      return token;
    },
    session({ session, token }) {
      session.user.id = String(token.uid);
      // The session key stays inside the encrypted token: never handed to page JavaScript (`/api/auth/session`).
      (session as unknown as { sessionVersion: number }).sessionVersion = Number(token.sv ?? 0);
      return session;
    },
  },
  events: {
    // Sign-out (the console's "Log out" and Auth.js's own endpoint) revokes the session's row.
    async signOut(message) {
      const token = "token" in message ? message.token : null;
      if (typeof token?.sk === "string") await endUserSession({ sessionKey: token.sk, request: await currentRequestInfo() });
    },
  },
}));

/**
 * Re-issues this browser's session token on the new session row `sessionKey` (made by `endSessionsInTx` after a
 * password change or "sign out everywhere") with the user's new session version; see the `jwt` callback.
 */
export async function reissueSession(sessionKey: string): Promise<void> {
  await unstable_update({ sk: sessionKey } as Parameters<typeof unstable_update>[0]);
}
