import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { authSecret } from "@/lib/config";
import { clientIp, consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";
import { normaliseEmail } from "./email";
import { verifyDecoy, verifyPassword } from "./password";
import { requireSecondFactor } from "./two-factor-step";
import { getUserByEmail } from "@/lib/users/queries";
import { endUserSession, SESSION_MAX_AGE_SECONDS } from "./sessions";
import { currentRequestInfo, jwtCallback, sessionCallback } from "./session-callbacks";
import { recordFailedSignIn, recordRateLimitedSignIn } from "./signin-events";
import { log } from "@/lib/log";

declare module "next-auth" {
  interface User {
    sessionVersion?: number;
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
      log.error({ err: error }, "[auth]");
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
  // The token's life: lib/auth/session-callbacks.ts (sign-in, the server's update, and dead sessions answered as none).
  callbacks: { jwt: jwtCallback, session: sessionCallback },
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
 * password change, an email change or "sign out everywhere") with the user's new session version; see the `jwt` callback.
 */
export async function reissueSession(sessionKey: string): Promise<void> {
  await unstable_update({ sk: sessionKey } as Parameters<typeof unstable_update>[0]);
}
