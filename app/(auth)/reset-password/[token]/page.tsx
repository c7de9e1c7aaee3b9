import type { Metadata } from "next";
import { checkResetToken } from "@/lib/auth/password-reset";
import { LinkStatus } from "../../_components/link-status";
import { RESET_LINK_PROBLEMS } from "./messages";
import { ResetPasswordForm } from "./reset-password-form";

export const metadata: Metadata = { title: "Choose a new password" };
export const dynamic = "force-dynamic";

/**
 * Opens a password reset link (docs/product.md §3.1): a valid token shows the New password form (the token is used only when
 * the form is sent); an expired, used or unknown token gets its own page. Needs no session: the link is the proof.
 */
export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const result = await checkResetToken(token);
  if (result.status !== "valid") {
    const problem = RESET_LINK_PROBLEMS[result.status];
    return (
      <LinkStatus
        title={problem.title}
        next={{ href: "/forgot-password", label: "Ask for a new link" }}
        secondary={{ href: "/login", label: "Back to log in" }}
      >
        <p>{problem.text}</p>
      </LinkStatus>
    );
  }
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Choose a new password</h1>
      <p className="mb-5 text-sm text-slate-600 dark:text-slate-400">
        For <strong>{result.user.email}</strong>. Setting it signs you out on every device.
      </p>
      <ResetPasswordForm token={token} email={result.user.email} />
    </>
  );
}
