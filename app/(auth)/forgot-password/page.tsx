import type { Metadata } from "next";
import { ForgotPasswordForm } from "./forgot-password-form";

export const metadata: Metadata = { title: "Forgot password" };

/** Requests a password reset link by email (docs/product.md §3.1). Open to everyone: it reveals nothing about accounts. */
export default async function ForgotPasswordPage({ searchParams }: { searchParams: Promise<{ email?: string | string[] }> }) {
  const { email } = await searchParams;
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Forgot your password?</h1>
      <p className="mb-5 text-sm text-slate-600 dark:text-slate-400">
        Enter the email you log in with and we will mail you a link to choose a new password.
      </p>
      <ForgotPasswordForm email={typeof email === "string" ? email : undefined} />
    </>
  );
}
