import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { authSecret } from "@/lib/config";
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
 * Auth.js v5: email + password (argon2id) with JWT sessions. The token carries the user id and the
 * user's session version at sign-in; `getCurrentUser()` compares it with the database on every request.
 * The config is built lazily so `next build` never reads or writes the data folder.
 */
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  secret: authSecret(),
  trustHost: true,
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    Credentials({
      credentials: { email: {}, password: {} },
      async authorize(raw) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new CredentialsSignin();
        const user = getUserByEmail({ email: normaliseEmail(parsed.data.email) });
        if (!user) {
          await verifyDecoy(parsed.data.password);
          throw new CredentialsSignin();
        }
        if (!(await verifyPassword(user.passwordHash, parsed.data.password))) throw new CredentialsSignin();
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
