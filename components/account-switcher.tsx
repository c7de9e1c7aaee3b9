"use client";

import Link from "next/link";
import { useParams } from "next/navigation";

type Props = { accounts: { id: number; name: string; role: string }[] };

/** Lists every account (organization) of the user; the current one is marked. */
export function AccountSwitcher({ accounts }: Props) {
  const params = useParams<{ accountId?: string }>();
  const current = accounts.find((a) => String(a.id) === params.accountId);
  return (
    <details className="relative">
      <summary className="flex cursor-pointer list-none items-center gap-2 rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-800 dark:text-slate-200 ring-1 ring-inset ring-slate-200 dark:ring-slate-700 hover:bg-slate-50 dark:hover:bg-slate-800/50">
        <span className="text-slate-500 dark:text-slate-400">Account:</span>
        <span className="max-w-[10rem] truncate sm:max-w-[16rem]">{current?.name ?? "Your accounts"}</span>
        <span aria-hidden className="text-slate-400 dark:text-slate-500">
          ▾
        </span>
      </summary>
      <div className="absolute left-0 z-20 mt-1 w-64 rounded-md bg-white dark:bg-slate-900 p-1 shadow-lg ring-1 ring-slate-200 dark:ring-slate-700">
        <ul aria-label="Your accounts">
          {accounts.map((a) => (
            <li key={a.id}>
              <Link
                href={`/account/${a.id}`}
                onClick={(e) => e.currentTarget.closest("details")?.removeAttribute("open")}
                aria-current={a.id === current?.id ? "page" : undefined}
                className="flex items-center justify-between rounded px-2.5 py-1.5 text-sm hover:bg-slate-100 dark:hover:bg-slate-800 aria-[current=page]:bg-indigo-50 dark:aria-[current=page]:bg-indigo-950/40"
              >
                <span className="truncate">{a.name}</span>
                <span className="text-xs capitalize text-slate-600 dark:text-slate-400">{a.role}</span>
              </Link>
            </li>
          ))}
        </ul>
        <Link
          href="/account/new"
          className="mt-1 block rounded border-t border-slate-100 dark:border-slate-800 px-2.5 py-1.5 text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:bg-slate-100 dark:hover:bg-slate-800"
        >
          + New account
        </Link>
      </div>
    </details>
  );
}
