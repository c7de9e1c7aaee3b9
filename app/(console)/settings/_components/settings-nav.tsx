"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import clsx from "@/components/ui/clsx";

/** The pages of the user's own settings, in the order of the sub-navigation. */
export const SETTINGS_PAGES = [
  { href: "/settings", label: "Profile" },
  { href: "/settings/sessions", label: "Sessions" },
  { href: "/settings/two-factor", label: "Two-factor" },
  { href: "/settings/tokens", label: "API tokens" },
  { href: "/settings/security-log", label: "Security log" },
] as const;

/** Sub-navigation of /settings: a column on wide screens, a scrollable row of tabs on narrow ones. */
export function SettingsNav() {
  const pathname = usePathname();
  const nav = useRef<HTMLElement>(null);
  // On a phone the tabs scroll sideways: bring the current one into view.
  useEffect(() => {
    const current = nav.current?.querySelector<HTMLElement>('[aria-current="page"]');
    const box = nav.current;
    if (current && box && box.scrollWidth > box.clientWidth) box.scrollLeft = current.offsetLeft - box.clientWidth / 2 + current.offsetWidth / 2;
  }, [pathname]);
  return (
    <nav ref={nav} aria-label="Settings" className="relative -mx-4 overflow-x-auto px-4 md:mx-0 md:px-0">
      <ul className="flex w-max min-w-full gap-1 border-b border-slate-200 md:w-auto md:flex-col md:border-b-0">
        {SETTINGS_PAGES.map((page) => {
          const active = page.href === "/settings" ? pathname === "/settings" : pathname.startsWith(page.href);
          return (
            <li key={page.href}>
              <Link
                href={page.href}
                aria-current={active ? "page" : undefined}
                className={clsx(
                  "block whitespace-nowrap px-3 py-2 text-sm font-medium md:rounded-md",
                  active
                    ? "border-b-2 border-indigo-600 text-indigo-700 md:border-b-0 md:bg-indigo-50"
                    : "border-b-2 border-transparent text-slate-600 hover:text-slate-900 md:border-b-0 md:hover:bg-slate-100",
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
