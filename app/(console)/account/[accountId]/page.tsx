import type { Metadata } from "next";
import Link from "next/link";
import { parseId, requireAccount } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { listApplicationOverviews } from "@/lib/domains/listing";
import { setLastAccount } from "@/lib/users/queries";
import { StatusBadge } from "@/components/ui/status-badge";
import { domainToUnicode } from "node:url";
import { AccountBandwidth } from "@/components/traffic/account-bandwidth";

export const metadata: Metadata = { title: "Applications" };

/**
 * Account home: its applications with their go-live status (counted per status in SQL) and first hostnames; its cost
 * does not grow with the number of domains (docs/product.md §3.4).
 */
export default async function AccountHomePage({ params }: { params: Promise<{ accountId: string }> }) {
  const { accountId } = await params;
  const { account, role, user } = await requireAccount(parseId(accountId));
  if (user.lastAccountId !== account.id) await setLastAccount({ userId: user.id, accountId: account.id });
  const apps = await listApplicationOverviews({ accountId: account.id });
  const live = apps.filter((a) => a.goLive.status === "live").length;
  const canCreate = can(role, "application.create");
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <p className="text-sm text-slate-500 dark:text-slate-400">Account (organization)</p>
          <h1 className="text-2xl font-semibold tracking-tight">{account.name}</h1>
        </div>
        {canCreate ? (
          <Link
            href={`/account/${account.id}/application/new`}
            className="rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
          >
            New application
          </Link>
        ) : null}
      </div>
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3">
        <div className="rounded-lg bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700">
          <dt className="text-sm text-slate-500 dark:text-slate-400">Applications</dt>
          <dd className="text-2xl font-semibold" data-testid="count-applications">
            {apps.length}
          </dd>
        </div>
        <div className="rounded-lg bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700">
          <dt className="text-sm text-slate-500 dark:text-slate-400">Live</dt>
          <dd className="text-2xl font-semibold" data-testid="count-live">
            {live}
          </dd>
        </div>
        <div className="rounded-lg bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700">
          <dt className="text-sm text-slate-500 dark:text-slate-400">Not live yet</dt>
          <dd className="text-2xl font-semibold">{apps.length - live}</dd>
        </div>
      </dl>
      {apps.length === 0 ? (
        <div className="rounded-xl border border-dashed border-slate-300 dark:border-slate-600 bg-white dark:bg-slate-900 p-10 text-center">
          <h2 className="text-lg font-semibold">No applications yet</h2>
          <p className="mx-auto mt-1 max-w-md text-sm text-slate-600 dark:text-slate-400">
            An application puts one website behind the edge: its proxy stack, its origin and its domains.
          </p>
          {canCreate ? (
            <Link
              href={`/account/${account.id}/application/new`}
              className="mt-4 inline-block font-semibold text-indigo-700 dark:text-indigo-300 hover:underline"
            >
              Create your first application →
            </Link>
          ) : (
            <p className="mt-4 text-sm text-slate-500 dark:text-slate-400">Your role (viewer) cannot create applications.</p>
          )}
        </div>
      ) : (
        <ul
          className="divide-y divide-slate-200 dark:divide-slate-700 overflow-hidden rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700"
          aria-label="Applications"
        >
          {apps.map((app) => (
            <li key={app.id}>
              <Link
                href={`/account/${account.id}/application/${app.id}`}
                className="flex flex-wrap items-center gap-4 px-5 py-4 hover:bg-slate-50 dark:hover:bg-slate-800/50"
              >
                <div className="min-w-0 flex-1">
                  <p className="truncate font-medium">{domainToUnicode(app.name) || app.name}</p>
                  <p className="truncate text-sm text-slate-500 dark:text-slate-400">
                    {app.hostnames.map((h) => domainToUnicode(h) || h).join(", ") || "No domains"}
                    {app.goLive.total > app.hostnames.length ? ` and ${app.goLive.total - app.hostnames.length} more` : ""} · {app.stackId}
                  </p>
                </div>
                <StatusBadge status={app.goLive.status} label={app.goLive.label} />
              </Link>
            </li>
          ))}
        </ul>
      )}
      <AccountBandwidth accountId={account.id} />
    </div>
  );
}
