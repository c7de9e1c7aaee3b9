"use server";

import { headers } from "next/headers";
import { after } from "next/server";
import { AuthError } from "next-auth";
import { z } from "zod";
import { LoginRateLimited, signIn } from "@/lib/auth/auth";
import { TwoFactorRefused, TwoFactorRequired } from "@/lib/auth/two-factor-step";
import { emailField, newPasswordField, normaliseEmail } from "@/lib/auth/email";
import { sendVerificationMail } from "@/lib/auth/email-verification";
import { hashPassword } from "@/lib/auth/password";
import { safeReturnPath } from "@/lib/auth/redirect";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";
import { createUser } from "@/db/queries/users";

export type AuthFormState = {
  error?: string;
  fieldErrors?: Partial<Record<"email" | "password" | "name" | "code", string>>;
  values?: { email?: string; name?: string };
  /** Login only: `code` once the password was right for a user with two-factor authentication (nothing signed in yet). */
  step?: "password" | "code";
};

const signupSchema = z.object({
  email: emailField,
  password: newPasswordField,
  name: z.string().trim().max(100, "Use at most 100 characters.").optional(),
});

function firstErrors(error: z.ZodError): AuthFormState["fieldErrors"] {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
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
 * Creates a user (argon2id) and signs them in at once (SPEC §3.1); the verification mail goes out after the
 * response, and a mail failure is only logged (the console's banner can resend). Rate-limited per IP and email.
 */
export async function signupAction(_prev: AuthFormState, form: FormData): Promise<AuthFormState> {
  const raw = {
    email: String(form.get("email") ?? ""),
    password: String(form.get("password") ?? ""),
    name: String(form.get("name") ?? ""),
  };
  const values = { email: raw.email, name: raw.name };
  const parsed = signupSchema.safeParse(raw);
  if (!parsed.success) return { fieldErrors: firstErrors(parsed.error), values };
  const limit = await consumeRateLimit("signup", { ip: clientIp(await headers()), email: parsed.data.email });
  if (!limit.ok) return { error: limit.message, values };
  const created = await createUser({
    email: parsed.data.email,
    name: parsed.data.name || null,
    passwordHash: await hashPassword(parsed.data.password),
  });
  if (!created.ok) {
    return { fieldErrors: { email: "A user with this email already exists. Log in instead." }, values };
  }
  const user = created.user;
  after(() => sendVerificationMail(user));
  return signInOrMessage(parsed.data.email, parsed.data.password, safeReturnPath(form.get("callbackUrl")));
}

/**
 * Signs a user in; a wrong email and a wrong password get the same message. Every attempt counts against the
 * login limits per IP and per (normalised) email, whether the email exists or not (checked in `authorize`,
 * lib/auth/auth.ts, so Auth.js's own endpoint is limited too); a refused attempt shows the wait. Users with
 * two-factor authentication get a second step (SPEC §3.1) only once the password was right.
 */
export async function loginAction(_prev: AuthFormState, form: FormData): Promise<AuthFormState> {
  const email = normaliseEmail(String(form.get("email") ?? ""));
  const password = String(form.get("password") ?? "");
  if (!email || !password) {
    return {
      fieldErrors: { ...(email ? {} : { email: "Enter your email address." }), ...(password ? {} : { password: "Enter your password." }) },
      values: { email },
    };
  }
  // The second step sends a `code` field: an empty one is answered here (the password is checked again with the code).
  const code = form.has("code")
    ? String(form.get("code") ?? "")
        .trim()
        .slice(0, 64)
    : undefined;
  if (code === "")
    return { step: "code", fieldErrors: { code: "Enter the code from your authenticator app, or a recovery code." }, values: { email } };
  return signInOrMessage(email, password, safeReturnPath(form.get("callbackUrl")), code);
}
