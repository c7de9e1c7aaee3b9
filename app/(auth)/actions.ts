"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { AuthError } from "next-auth";
import { z } from "zod";
import { publicAction, type Refusal } from "@/lib/actions";
import { LoginRateLimited, signIn } from "@/lib/auth/auth";
import { TwoFactorRefused, TwoFactorRequired } from "@/lib/auth/two-factor-step";
import { emailField, newPasswordField, normaliseEmail } from "@/lib/auth/email";
import { sendVerificationMail } from "@/lib/auth/email-verification";
import { hashPassword } from "@/lib/auth/password";
import { safeReturnPath } from "@/lib/auth/redirect";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";
import { createUser } from "@/lib/users/queries";

type Field = "email" | "password" | "name" | "code";

export type AuthFormState = {
  error?: string;
  fieldErrors?: Partial<Record<Field, string>>;
  values?: { email?: string; name?: string };
  /** Login only: `code` once the password was right for a user with two-factor authentication (nothing signed in yet). */
  step?: "password" | "code";
};

/** A refusal of the action wrapper as a signup/login state: field messages next to their fields, else the message. */
function refused(refusal: Refusal, values: AuthFormState["values"]): AuthFormState {
  if (refusal.kind !== "invalid") return { error: refusal.message, values };
  const fieldErrors: AuthFormState["fieldErrors"] = {};
  for (const field of ["email", "password", "name", "code"] as const) {
    if (refusal.fieldErrors[field]) fieldErrors[field] = refusal.fieldErrors[field];
  }
  return Object.keys(fieldErrors).length > 0 ? { fieldErrors, values } : { error: refusal.message, values };
}

/**
 * Signs a user in through Auth.js; redirects (by throwing) on success, returns a message on bad credentials. With
 * two-factor authentication on, a right password without `code` answers `step: "code"` (the form then asks for
 * the code and sends email, password and code together; `authorize` checks all three).
 */
async function signInOrMessage(email: string, password: string, redirectTo: string, code?: string): Promise<AuthFormState> {
  try {
    await signIn("credentials", { email, password, redirectTo, ...(code ? { code } : {}) });
  } catch (error) {
    if (error instanceof TwoFactorRequired) return { step: "code", values: { email } };
    if (error instanceof TwoFactorRefused) {
      return error.rateLimited
        ? { step: "code", error: error.userMessage, values: { email } }
        : { step: "code", fieldErrors: { code: error.userMessage }, values: { email } };
    }
    if (error instanceof LoginRateLimited) return { error: error.userMessage, values: { email } };
    if (error instanceof AuthError) return { error: "Wrong email or password.", values: { email } };
    throw error;
  }
  return {};
}

/**
 * Creates a user (argon2id) and signs them in at once (docs/product.md §3.1); the verification mail goes out after
 * the response, and a mail failure is only logged (the console's banner can resend). Rate-limited per IP and email.
 */
export const signupAction = publicAction({
  name: "signup",
  schema: z.object({
    email: emailField,
    password: newPasswordField,
    name: z.string().trim().max(100, "Use at most 100 characters.").optional(),
    callbackUrl: z.string().optional(),
  }),
  fail: (refusal): AuthFormState => refused(refusal, { email: refusal.raw.email ?? "", name: refusal.raw.name ?? "" }),
  run: async ({ input, raw }): Promise<AuthFormState> => {
    const values = { email: raw.email ?? "", name: raw.name ?? "" };
    const limit = await consumeRateLimit("signup", { ip: clientIp(await headers()), email: input.email });
    if (!limit.ok) return { error: limit.message, values };
    const created = await createUser({ email: input.email, name: input.name || null, passwordHash: await hashPassword(input.password) });
    if (!created.ok) return { fieldErrors: { email: "A user with this email already exists. Log in instead." }, values };
    const user = created.user;
    after(() => sendVerificationMail(user));
    return signInOrMessage(input.email, input.password, safeReturnPath(input.callbackUrl));
  },
});

/**
 * Signs a user in; a wrong email and a wrong password get the same message. Every attempt counts against the
 * login limits per IP and per (normalised) email, whether the email exists or not (checked in `authorize`,
 * lib/auth/auth.ts, so Auth.js's own endpoint is limited too); a refused attempt shows the wait. Users with
 * two-factor authentication get a second step (docs/product.md §3.1) only once the password was right.
 */
export const loginAction = publicAction({
  name: "login",
  schema: z.object({
    email: z.string().default("").transform(normaliseEmail),
    password: z.string().default(""),
    // The second step sends a `code` field: an empty one is answered here (the password is checked again with the code).
    code: z
      .string()
      .optional()
      .transform((code) => code?.trim().slice(0, 64)),
    callbackUrl: z.string().optional(),
  }),
  fail: (refusal): AuthFormState => refused(refusal, { email: normaliseEmail(refusal.raw.email ?? "") }),
  run: async ({ input: { email, password, code, callbackUrl } }): Promise<AuthFormState> => {
    if (!email || !password) {
      return {
        fieldErrors: {
          ...(email ? {} : { email: "Enter your email address." }),
          ...(password ? {} : { password: "Enter your password." }),
        },
        values: { email },
      };
    }
    if (code === "") {
      return { step: "code", fieldErrors: { code: "Enter the code from your authenticator app, or a recovery code." }, values: { email } };
    }
    return signInOrMessage(email, password, safeReturnPath(callbackUrl), code);
  },
});
