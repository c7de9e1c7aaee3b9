import type { Metadata } from "next";
import { verifyEmail } from "@/lib/auth/email-verification";
import { getCurrentUser } from "@/lib/auth/session";
import { LinkStatus } from "../../_components/link-status";

export const metadata: Metadata = { title: "Verify email" };
export const dynamic = "force-dynamic";

/**
 * Opens a verification link (docs/product.md §3.1): a valid token verifies its address and is used up; an expired, used or
 * unknown token each get their own page. Works signed in or not: the token itself proves the mailbox.
 */
export default async function VerifyEmailPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const result = await verifyEmail(token);
  const signedIn = (await getCurrentUser()) !== null;
  const onwards = signedIn ? { href: "/", label: "Continue to the console" } : { href: "/login", label: "Log in" };

  switch (result.status) {
    case "valid":
      return (
        <LinkStatus title="Email address verified" tone="success" next={onwards}>
          <p>
            <strong>{result.user.email}</strong> is verified. Thank you.
          </p>
        </LinkStatus>
      );
    case "used":
      return (
        <LinkStatus title="This link was already used" next={onwards}>
          <p>Each verification link works once.</p>
          {result.user.emailVerifiedAt && result.user.email === result.token.email ? (
            <p>
              <strong>{result.user.email}</strong> is already verified: there is nothing more to do.
            </p>
          ) : null}
        </LinkStatus>
      );
    case "expired":
      return (
        <LinkStatus title="This link has expired" next={onwards}>
          <p>
            Verification links are valid for 24 hours. Sign in and choose “Resend” in the banner at the top of the console to get a new one.
          </p>
        </LinkStatus>
      );
    case "email-changed":
      return (
        <LinkStatus title="This link is for an old address" next={onwards}>
          <p>The link was sent to an address that is no longer this login’s email. Use the link sent to the current address.</p>
        </LinkStatus>
      );
    default:
      return (
        <LinkStatus title="This link is not valid" next={onwards}>
          <p>The verification link may be incomplete or mistyped. Open the link from the latest mail, or sign in and choose “Resend”.</p>
        </LinkStatus>
      );
  }
}
