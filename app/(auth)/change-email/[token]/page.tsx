import type { Metadata } from "next";
import { Button } from "@/components/ui/button";
import { getCurrentUser } from "@/lib/auth/session";
import { checkEmailChangeToken } from "@/lib/user-settings/email-change";
import { LinkStatus } from "../../_components/link-status";
import { logoutToEmailChangeAction } from "./actions";
import { ConfirmEmailChangeForm } from "./confirm-form";
import { EMAIL_CHANGE_PROBLEMS } from "./messages";

export const metadata: Metadata = { title: "Confirm new email" };
export const dynamic = "force-dynamic";

/**
 * Opens an email change link (docs/product.md §3.1): a valid link shows both addresses and a "Confirm" button (opening the
 * link alone changes nothing); expired, used, unknown or taken links each explain themselves. Opened while signed in
 * as another user, it says so and offers "Log out and continue" instead (as invitations do), so nobody confirms a
 * change of someone else's login by mistake or lands in the wrong settings afterwards.
 */
export default async function ChangeEmailPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const result = await checkEmailChangeToken(token);
  const user = await getCurrentUser();
  if (result.status === "valid" && user && user.id !== result.userId) {
    return (
      <div className="space-y-4" data-testid="link-status">
        <h1 className="text-xl font-semibold">This link is for another login</h1>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          You are signed in as{" "}
          <strong className="break-all" data-testid="current-email">
            {user.email}
          </strong>
          ; this link changes the email of another login, <strong className="break-all">{result.from}</strong>, to{" "}
          <strong className="break-all">{result.to}</strong>.
        </p>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Log out to confirm it for that login. Nothing changes until you press “Confirm”.
        </p>
        <form action={logoutToEmailChangeAction.bind(null, undefined)}>
          <input type="hidden" name="token" value={token} />
          <Button type="submit" className="w-full">
            Log out and continue
          </Button>
        </form>
      </div>
    );
  }
  if (result.status === "valid") return <ConfirmEmailChangeForm token={token} from={result.from} to={result.to} signedIn={user !== null} />;
  // The login that confirmed it, still signed in here (its cookie was re-issued, which re-renders this page).
  if (result.status === "used" && user && user.id === result.userId && user.email === result.to) {
    return (
      <LinkStatus title="Email address changed" tone="success" next={{ href: "/settings", label: "Open your settings" }}>
        <p>
          You now sign in with <strong className="break-all">{result.to}</strong>. Every other session was signed out; this browser stays
          signed in.
        </p>
      </LinkStatus>
    );
  }
  const signedIn = user !== null;
  const problem = EMAIL_CHANGE_PROBLEMS[result.status];
  return (
    <LinkStatus
      title={problem.title}
      next={signedIn ? { href: "/settings", label: "Open your settings" } : { href: "/login", label: "Log in" }}
    >
      <p>{problem.text}</p>
    </LinkStatus>
  );
}
