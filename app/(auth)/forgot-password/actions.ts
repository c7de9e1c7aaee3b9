"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { z } from "zod";
import { publicAction } from "@/lib/actions";
import { emailField } from "@/lib/auth/email";
import { startPasswordReset } from "@/lib/auth/password-reset";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";

export type ForgotPasswordState = { sent?: boolean; error?: string; fieldErrors?: { email?: string }; values?: { email?: string } };

/**
 * Mails a password reset link when a user has that email, and answers the same whether or not one does (no
 * enumeration; the mail is sent after the response so timing does not tell either). Rate-limited per IP and email.
 */
export const forgotPasswordAction = publicAction({
  name: "forgot password",
  schema: z.object({ email: emailField }),
  fail: (refusal): ForgotPasswordState => {
    const values = { email: refusal.raw.email ?? "" };
    return refusal.fieldErrors.email ? { fieldErrors: { email: refusal.fieldErrors.email }, values } : { error: refusal.message, values };
  },
  run: async ({ input, raw }): Promise<ForgotPasswordState> => {
    const values = { email: raw.email ?? "" };
    const limit = await consumeRateLimit("reset", { ip: clientIp(await headers()), email: input.email });
    if (!limit.ok) return { error: limit.message, values };
    const mail = await startPasswordReset({ email: input.email });
    if (mail) after(() => sendMailQuietly(mail));
    return { sent: true, values };
  },
});
