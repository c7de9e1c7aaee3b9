import type { Metadata } from "next";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { roleLabel } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import { getCurrentUser } from "@/lib/auth/session";
import { findInvitation } from "@/lib/invitations/accept";
import { refusalText } from "@/lib/invitations/state";
import { AcceptForm } from "./accept-form";
import { logoutToInvitationAction } from "./actions";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

const linkButton = "inline-flex w-full items-center justify-center rounded-md px-3.5 py-2 text-sm font-semibold shadow-sm";

function Card({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <p className="mb-6 text-center text-lg font-semibold tracking-tight text-indigo-700 dark:text-indigo-300">Edge Console</p>
        <div className="space-y-4 rounded-xl bg-white dark:bg-slate-900 p-6 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700">
          <h1 className="text-xl font-semibold">{title}</h1>
          {children}
        </div>
      </div>
    </main>
  );
}

const consoleLink = (
  <Link href="/" className="block text-center text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
    Go to the console
  </Link>
);

/**
 * `/invite/<token>` (docs/product.md §3.2), for signed-out visitors too (outside the console layout and the proxy's matcher):
 * who invited whom to which account; Sign up / Log in with the address prefilled, coming back here; Accept for the
 * invited user; its own page for each refusal (expired, used, replaced, revoked, another user, already a member).
 */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const view = await findInvitation(token);
  const user = await getCurrentUser();
  if (!view) {
    return (
      <Card title="This invitation link is not valid">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Check that you opened the whole link from the email. If it still does not work, ask for a new invitation.
        </p>
        {consoleLink}
      </Card>
    );
  }

  const { invitation, accountName, state } = view;
  const membership = user ? await effectiveRole(invitation.accountId, user.id) : null;
  const member = membership && membership.kind !== "none" ? membership : null;
  if (state !== "pending") {
    const text = refusalText(state, { inviterName: invitation.invitedByName, accountName });
    return (
      <Card title={text.title}>
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="invitation-state" data-state={state}>
          {text.body}
        </p>
        {member ? (
          <Link href={`/account/${invitation.accountId}`} className={`${linkButton} bg-indigo-600 text-white hover:bg-indigo-500`}>
            Open {accountName}
          </Link>
        ) : null}
        {consoleLink}
      </Card>
    );
  }

  const invite = (
    <p className="text-sm text-slate-700 dark:text-slate-300">
      <strong>{invitation.invitedByName}</strong> invited <strong>{invitation.email}</strong> to join the account (organization){" "}
      <strong>{accountName}</strong> on Edge Console with the role <strong>{roleLabel(invitation.role)}</strong>.
    </p>
  );
  const back = encodeURIComponent(`/invite/${token}`);
  const email = encodeURIComponent(invitation.email);

  if (!user) {
    return (
      <Card title={`Join ${accountName}`}>
        {invite}
        <p className="text-sm text-slate-600 dark:text-slate-400">
          To accept, sign up or log in as {invitation.email}; you come back here afterwards.
        </p>
        <div className="space-y-2">
          <Link
            href={`/signup?email=${email}&callbackUrl=${back}`}
            className={`${linkButton} bg-indigo-600 text-white hover:bg-indigo-500`}
          >
            Sign up
          </Link>
          <Link
            href={`/login?email=${email}&callbackUrl=${back}`}
            className={`${linkButton} bg-white dark:bg-slate-900 text-slate-900 dark:text-slate-100 ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
          >
            Log in
          </Link>
        </div>
      </Card>
    );
  }

  if (user.email !== invitation.email) {
    return (
      <Card title="This invitation is for someone else">
        <p className="text-sm text-slate-700 dark:text-slate-300">
          This invitation to {accountName} is for <strong data-testid="invited-email">{invitation.email}</strong>, but you are signed in as{" "}
          <strong data-testid="current-email">{user.email}</strong>.
        </p>
        <p className="text-sm text-slate-600 dark:text-slate-400">Log out, then sign up or log in as {invitation.email} to accept it.</p>
        <form action={logoutToInvitationAction.bind(null, undefined)}>
          <input type="hidden" name="token" value={token} />
          <Button type="submit" className="w-full">
            Log out and continue
          </Button>
        </form>
        {consoleLink}
      </Card>
    );
  }

  if (member) {
    return (
      <Card title={`You are already a member of ${accountName}`}>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Your role there is {roleLabel(member.role)}. To change it, ask an owner or admin of {accountName}.
        </p>
        <Link href={`/account/${invitation.accountId}`} className={`${linkButton} bg-indigo-600 text-white hover:bg-indigo-500`}>
          Open {accountName}
        </Link>
      </Card>
    );
  }

  return (
    <Card title={`Join ${accountName}`}>
      {invite}
      <AcceptForm token={token} accountName={accountName} />
      {consoleLink}
    </Card>
  );
}
