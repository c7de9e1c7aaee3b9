import type { Metadata } from "next";
import Link from "next/link";
import { requireUser } from "@/lib/auth/session";
import { formatUtc } from "@/components/ui/format";
import { pendingEmailChange } from "@/lib/user-settings/email-change";
import { DeleteUserForm } from "./_components/delete-user-form";
import { EmailForm } from "./_components/email-form";
import { NameForm } from "./_components/name-form";
import { PasswordForm } from "./_components/password-form";

export const metadata: Metadata = { title: "Settings" };

function Section({ id, title, tone, children }: { id: string; title: string; tone?: "danger"; children: React.ReactNode }) {
  return (
    <section
      id={id}
      aria-labelledby={`${id}-heading`}
      className={`scroll-mt-6 space-y-4 rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ${tone === "danger" ? "ring-red-200 dark:ring-red-900" : "ring-slate-200 dark:ring-slate-700"}`}
    >
      <h2 id={`${id}-heading`} className={`text-lg font-semibold ${tone === "danger" ? "text-red-700 dark:text-red-300" : ""}`}>
        {title}
      </h2>
      {children}
    </section>
  );
}

/** The user's own login (docs/product.md §3.1): name, email (re-verified), password, and deleting the user. */
export default async function SettingsPage() {
  const user = await requireUser("/settings");
  const pending = await pendingEmailChange({ userId: user.id });
  return (
    <div className="max-w-3xl space-y-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Profile</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Your own login. Sessions, two-factor authentication, API tokens and your security log are in the menu.
        </p>
      </div>

      <Section id="profile" title="Display name">
        <NameForm name={user.name ?? ""} />
      </Section>

      <Section id="email" title="Email">
        <p className="text-sm text-slate-700 dark:text-slate-300">
          You sign in with <strong className="break-all">{user.email}</strong>{" "}
          {user.emailVerifiedAt ? (
            <span className="whitespace-nowrap rounded-full bg-emerald-50 dark:bg-emerald-950/40 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:text-emerald-200 ring-1 ring-emerald-200 dark:ring-emerald-900">
              verified
            </span>
          ) : (
            <span className="whitespace-nowrap rounded-full bg-amber-50 dark:bg-amber-950/40 px-2 py-0.5 text-xs font-medium text-amber-900 dark:text-amber-100 ring-1 ring-amber-200 dark:ring-amber-900">
              not verified
            </span>
          )}
        </p>
        {pending ? (
          <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="pending-email-change">
            Waiting for confirmation of <strong className="break-all">{pending.email}</strong>: open the link we sent there before{" "}
            {formatUtc(pending.expiresAt, { seconds: false })}. A new request replaces it.
          </p>
        ) : null}
        <p className="text-sm text-slate-600 dark:text-slate-400">
          To change it, enter the new address and your password. We send a link to the new address and tell the current one; nothing changes
          until the link is opened.
        </p>
        <EmailForm />
      </Section>

      <Section id="password" title="Password">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Changing your password signs you out in every other browser; this one stays signed in.
        </p>
        <PasswordForm />
      </Section>

      <Section id="delete" title="Delete your user" tone="danger">
        <p className="text-sm text-slate-700 dark:text-slate-300">
          Deletes your login, your API tokens and your security log, and removes you from every account. Audit logs keep your name. You
          cannot delete your user while you are the last owner of an account: make another member an owner there first, or delete the
          account. See your accounts in the{" "}
          <Link href="/" className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            console
          </Link>
          . To confirm, type your email address and your current password
          {user.totpEnabledAt ? ", and a code from your authenticator app" : ""}.
        </p>
        <DeleteUserForm email={user.email} twoFactor={Boolean(user.totpEnabledAt)} />
      </Section>
    </div>
  );
}
