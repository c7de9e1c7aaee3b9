import type { Metadata } from "next";
import { getCurrentUser } from "@/lib/auth/session";
import { checkEmailChangeToken } from "@/lib/user-settings/email-change";
import { LinkStatus } from "../../_components/link-status";
import { ConfirmEmailChangeForm } from "./confirm-form";
import { EMAIL_CHANGE_PROBLEMS } from "./messages";

export const metadata: Metadata = { title: "Confirm new email" };
export const dynamic = "force-dynamic";

/**
 * Opens an email change link (SPEC §3.1): a valid link shows both addresses and a "Confirm" button (opening the
 * link alone changes nothing); expired, used, unknown or taken links each explain themselves.
 */
export default async function ChangeEmailPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const result = checkEmailChangeToken(token);
  if (result.status === "valid") return <ConfirmEmailChangeForm token={token} from={result.from} to={result.to} />;
  const signedIn = (await getCurrentUser()) !== null;
  const problem = EMAIL_CHANGE_PROBLEMS[result.status];
  return (
    <LinkStatus title={problem.title} next={signedIn ? { href: "/settings", label: "Open your settings" } : { href: "/login", label: "Log in" }}>
      <p>{problem.text}</p>
    </LinkStatus>
  );
}
