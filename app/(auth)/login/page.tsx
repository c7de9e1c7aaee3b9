import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { safeReturnPath } from "@/lib/auth/redirect";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; email?: string; reset?: string; deleted?: string }>;
}) {
  const { callbackUrl, email, reset, deleted } = await searchParams;
  const returnTo = callbackUrl ? safeReturnPath(callbackUrl) : undefined;
  if (await getCurrentUser()) redirect(returnTo ?? "/");
  return (
    <>
      <h1 className="mb-5 text-xl font-semibold">Log in</h1>
      <LoginForm
        callbackUrl={returnTo}
        email={typeof email === "string" ? email : undefined}
        notice={
          reset === "done"
            ? "Your password was changed and you were signed out everywhere. Log in with your new password."
            : deleted === "1"
              ? "Your user was deleted. Its memberships are gone; audit logs keep your name."
              : undefined
        }
      />
    </>
  );
}
