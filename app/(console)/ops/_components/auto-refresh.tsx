"use client";

import { useEffect, useState } from "react";
import { useRouter } from "next/navigation";

/** Seconds between refreshes while "Live updates" is on. */
const REFRESH_SECONDS = 15;

/**
 * "Live updates": while checked, re-renders the page's server components every 15 s (counts, chart, statuses) so
 * an operator can watch domains go live as background checks land. Selections and filters are kept (client state
 * and the URL survive `router.refresh()`). Off by default; pauses while the tab is hidden.
 */
export function AutoRefresh() {
  const router = useRouter();
  const [on, setOn] = useState(false);
  const [refreshedAt, setRefreshedAt] = useState<string | null>(null);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== "visible") return;
      router.refresh();
      setRefreshedAt(new Date().toISOString().slice(11, 19));
    }, REFRESH_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [on, router]);
  return (
    <label className="inline-flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
      <input
        type="checkbox"
        checked={on}
        onChange={(e) => setOn(e.target.checked)}
        className="size-4 rounded border-slate-300 dark:border-slate-600"
      />
      Live updates (every {REFRESH_SECONDS} s)
      {on && refreshedAt ? <span className="text-slate-500 dark:text-slate-400">· refreshed {refreshedAt} UTC</span> : null}
    </label>
  );
}
