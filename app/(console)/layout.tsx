import Link from "next/link";
import { requireUser, displayName } from "@/lib/auth/session";
import { listAccountsOfUser } from "@/lib/accounts/queries";
import { isOperator } from "@/lib/ops/operator";
import { AccountSwitcher } from "@/components/account-switcher";
import { ThemeToggle } from "@/components/theme-toggle";
import { VerifyEmailBanner } from "./_components/verify-email-banner";
import { logoutAction, resendVerificationAction } from "./actions";

/** The signed-in console: header with the account switcher and the user menu; a banner until the email is verified. */
export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  const accounts = (await listAccountsOfUser({ userId: user.id })).map((a) => ({ id: a.id, name: a.name, role: a.role }));
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 dark:border-slate-700 bg-white dark:bg-slate-900">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/" className="text-base font-semibold tracking-tight text-indigo-700 dark:text-indigo-300">
            Edge Console
          </Link>
          <AccountSwitcher accounts={accounts} />
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="hidden text-slate-600 dark:text-slate-400 sm:inline" title={user.email}>
              {displayName(user)}
            </span>
            {isOperator(user) ? (
              <Link
                href="/ops"
                className="rounded-md px-2.5 py-1.5 font-medium text-slate-700 dark:text-slate-300 hover:bg-slate-100 dark:hover:bg-slate-800"
              >
                Operations
              </Link>
            ) : null}
            <ThemeToggle />
            <Link
              href="/settings"
              className="rounded-md px-2.5 py-1.5 font-medium text-slate-700 dark:text-slate-300 hover:bg-slate-100 dark:hover:bg-slate-800"
            >
              Settings
            </Link>
            <form action={logoutAction.bind(null, undefined)}>
              <button
                type="submit"
                className="rounded-md px-2.5 py-1.5 font-medium text-slate-700 dark:text-slate-300 hover:bg-slate-100 dark:hover:bg-slate-800"
              >
                Log out
              </button>
            </form>
          </div>
        </div>
      </header>
      {user.emailVerifiedAt ? null : <VerifyEmailBanner email={user.email} action={resendVerificationAction} />}
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </div>
  );
}
