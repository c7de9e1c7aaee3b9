import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { safeReturnPath } from "@/lib/auth/redirect";
import { SignupForm } from "./signup-form";

export const metadata: Metadata = { title: "Sign up" };

export default async function SignupPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; email?: string }> }) {
  const { callbackUrl, email } = await searchParams;
  const returnTo = callbackUrl ? safeReturnPath(callbackUrl) : undefined;
  if (await getCurrentUser()) redirect(returnTo ?? "/");
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Create your login</h1>
      <p className="mb-5 text-sm text-slate-600 dark:text-slate-400">Sign up to put your websites behind the edge.</p>
      <SignupForm callbackUrl={returnTo} email={email} />
    </>
  );
}
