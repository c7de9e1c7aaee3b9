"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/** The account's sections as tabs; the current one is marked for screen readers too. */
export function AccountTabs({ tabs }: { tabs: { href: string; label: string; exact?: boolean }[] }) {
  const pathname = usePathname();
  const current = (t: { href: string; exact?: boolean }) =>
    t.exact ? pathname === t.href || pathname.startsWith(`${t.href}/application`) : pathname.startsWith(t.href);
  return (
    <nav aria-label="Account sections" className="-mt-2 flex gap-1 overflow-x-auto border-b border-slate-200 dark:border-slate-700">
      {tabs.map((t) => (
        <Link
          key={t.href}
          href={t.href}
          aria-current={current(t) ? "page" : undefined}
          className="whitespace-nowrap border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 dark:text-slate-400 hover:text-slate-900 dark:hover:text-slate-100 aria-[current=page]:border-indigo-600 aria-[current=page]:text-indigo-700 dark:aria-[current=page]:text-indigo-300"
        >
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
