"use server";

import { headers } from "next/headers";
import { z } from "zod";
import { publicAction, userAction } from "@/lib/actions";
import { signOut } from "@/lib/auth/auth";
import { sendVerificationMail } from "@/lib/auth/email-verification";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";

/**
 * Ends the session and returns to the login page. Public: a browser whose session already ended (revoked, signed
 * out everywhere) gets its cookie cleared the same way.
 */
export const logoutAction = publicAction({
  name: "log out",
  schema: z.object({}),
  fail: () => undefined,
  run: async (): Promise<undefined> => {
    await signOut({ redirectTo: "/login" });
    return undefined;
  },
});

export type ResendVerificationState = { message?: string; error?: string };

/**
 * Mails the signed-in user a new verification link (earlier links stay valid until they expire). Rate-limited
 * ("verify-resend") per IP and email; a mail failure is reported so the user can try again later.
 */
export const resendVerificationAction = userAction({
  name: "resend verification",
  schema: z.object({}),
  fail: (refusal): ResendVerificationState => ({ error: refusal.message }),
  run: async ({ user }): Promise<ResendVerificationState> => {
    if (user.emailVerifiedAt) return { message: "Your email address is already verified." };
    const limit = await consumeRateLimit("verify-resend", { ip: clientIp(await headers()), email: user.email });
    if (!limit.ok) return { error: limit.message };
    const sent = await sendVerificationMail(user);
    if (!sent) return { error: "The mail could not be sent right now. Try again in a few minutes." };
    return { message: `We sent a new link to ${user.email}. It works for 24 hours.` };
  },
});
