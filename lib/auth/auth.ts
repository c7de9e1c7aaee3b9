import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { authSecret } from "@/lib/config";
import { clientIp, consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";
import { normaliseEmail } from "./email";
import { verifyDecoy, verifyPassword } from "./password";
import { getUserByEmail } from "@/db/queries/users";

declare module "next-auth" {
  interface User {
    sessionVersion?: number;
  }
}

const credentialsSchema = z.object({ email: z.string().max(320), password: z.string().max(256) });

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
 * Auth.js v5: email + password (argon2id) with JWT sessions. The token carries the user id and the
 * user's session version at sign-in; `getCurrentUser()` compares it with the database on every request.
 * The config is built lazily so `next build` never reads or writes the data folder.
 */
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  secret: authSecret(),
  trustHost: true,
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
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
      credentials: { email: {}, password: {} },
      async authorize(raw, request) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new CredentialsSignin();
        const email = normaliseEmail(parsed.data.email);
        const keys = { ip: clientIp(request.headers), email };
        const limit = await consumeRateLimit("login", keys);
        if (!limit.ok) throw new LoginRateLimited(limit.retryAfterSeconds, limit.message);
        const user = getUserByEmail({ email });
        if (!user) {
          await verifyDecoy(parsed.data.password);
          throw new CredentialsSignin();
        }
        if (!(await verifyPassword(user.passwordHash, parsed.data.password))) throw new CredentialsSignin();
        await refundRateLimit("login", keys); // only failed attempts use up the limit
        return { id: String(user.id), email: user.email, name: user.name, sessionVersion: user.sessionVersion };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = Number(user.id);
        token.sv = user.sessionVersion ?? 0;
      }
      return token;
    },
    session({ session, token }) {
      session.user.id = String(token.uid);
      (session as unknown as { sessionVersion: number }).sessionVersion = Number(token.sv ?? 0);
      return session;
    },
  },
}));
