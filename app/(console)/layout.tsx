import Link from "next/link";
import { requireUser, displayName } from "@/lib/auth/session";
import { listAccountsOfUser } from "@/db/queries/accounts";
import { AccountSwitcher } from "@/components/account-switcher";
import { logoutAction } from "./actions";

/** The signed-in console: header with the account switcher and the user menu. */
export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  const accounts = listAccountsOfUser({ userId: user.id }).map((a) => ({ id: a.id, name: a.name, role: a.role }));
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/" className="text-base font-semibold tracking-tight text-indigo-700">
            Edge Console
          </Link>
          <AccountSwitcher accounts={accounts} />
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="hidden text-slate-600 sm:inline" title={user.email}>
              {displayName(user)}
            </span>
            <form action={logoutAction}>
              <button type="submit" className="rounded-md px-2.5 py-1.5 font-medium text-slate-700 hover:bg-slate-100">
                Log out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </div>
  );
}
