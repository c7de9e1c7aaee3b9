import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { safeReturnPath } from "@/lib/auth/redirect";
import { AuthForm } from "../auth-form";
import { loginAction } from "../actions";

export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; email?: string }> }) {
  const { callbackUrl, email } = await searchParams;
  const returnTo = callbackUrl ? safeReturnPath(callbackUrl) : undefined;
  if (await getCurrentUser()) redirect(returnTo ?? "/");
  return (
    <>
      <h1 className="mb-5 text-xl font-semibold">Log in</h1>
      <AuthForm mode="login" action={loginAction} callbackUrl={returnTo} email={email} />
    </>
  );
}
