"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import clsx from "@/components/ui/clsx";

/** The pages of the user's own settings, in the order of the sub-navigation. */
export const SETTINGS_PAGES = [
  { href: "/settings", label: "Profile" },
  { href: "/settings/sessions", label: "Sessions" },
  { href: "/settings/two-factor", label: "Two-factor" },
  { href: "/settings/tokens", label: "API tokens" },
  { href: "/settings/security-log", label: "Security log" },
] as const;

/**
 * Sub-navigation of /settings: a column on wide screens; on narrow ones the tabs wrap into rows (every tab stays
 * visible, nothing hides behind a sideways scroll).
 */
export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings">
      <ul className="flex flex-wrap gap-1 border-b border-slate-200 dark:border-slate-700 pb-2 md:flex-col md:flex-nowrap md:border-b-0 md:pb-0">
        {SETTINGS_PAGES.map((page) => {
          const active = page.href === "/settings" ? pathname === "/settings" : pathname.startsWith(page.href);
          return (
            <li key={page.href}>
              <Link
                href={page.href}
                aria-current={active ? "page" : undefined}
                className={clsx(
                  "block whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium md:py-2",
                  active
                    ? "bg-indigo-50 dark:bg-indigo-950/40 text-indigo-700 dark:text-indigo-300 ring-1 ring-inset ring-indigo-200 dark:ring-indigo-900 md:ring-0"
                    : "text-slate-600 dark:text-slate-400 hover:bg-slate-100 dark:hover:bg-slate-800 hover:text-slate-900 dark:hover:text-slate-100",
                )}
              >
                {page.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
