import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { safeReturnPath } from "@/lib/auth/redirect";
import { AuthForm } from "../auth-form";
import { loginAction } from "../actions";

export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; email?: string; reset?: string }> }) {
  const { callbackUrl, email, reset } = await searchParams;
  const returnTo = callbackUrl ? safeReturnPath(callbackUrl) : undefined;
  if (await getCurrentUser()) redirect(returnTo ?? "/");
  return (
    <>
      <h1 className="mb-5 text-xl font-semibold">Log in</h1>
      <AuthForm
        mode="login"
        action={loginAction}
        callbackUrl={returnTo}
        email={typeof email === "string" ? email : undefined}
        notice={reset === "done" ? "Your password was changed and you were signed out everywhere. Log in with your new password." : undefined}
      />
    </>
  );
}
