import Link from "next/link";
import clsx from "@/components/ui/clsx";
import { statusLabel } from "@/components/ui/status-badge";
import type { StatusCounts } from "@/lib/ops/queries";

const ORDER = ["live", "pending", "misconfigured", "nxdomain", "error", "flagged"] as const;
const ACCENT: Record<(typeof ORDER)[number], string> = {
  live: "text-emerald-700 dark:text-emerald-300",
  pending: "text-slate-700 dark:text-slate-300",
  misconfigured: "text-amber-700 dark:text-amber-300",
  nxdomain: "text-rose-700 dark:text-rose-300",
  error: "text-red-700 dark:text-red-300",
  flagged: "text-rose-700 dark:text-rose-300",
};

/** Domains per status (and flagged), platform-wide; each figure links to the table filtered by it. */
export function StatusCounters({ counts, active }: { counts: StatusCounts; active: string }) {
  const fmt = (n: number) => n.toLocaleString("en-US");
  return (
    <nav aria-label="Domains per status" className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-7">
      <Link
        href="/ops"
        aria-current={active === "" ? "page" : undefined}
        className={clsx(
          "rounded-xl bg-white dark:bg-slate-900 p-3 ring-1 hover:ring-indigo-400",
          active === "" ? "ring-2 ring-indigo-500" : "ring-slate-200 dark:ring-slate-700",
        )}
      >
        <span className="block text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">All domains</span>
        <span data-count="total" className="block text-2xl font-semibold tabular-nums text-slate-900 dark:text-slate-100">
          {fmt(counts.total)}
        </span>
      </Link>
      {ORDER.map((status) => (
        <Link
          key={status}
          href={`/ops?status=${status}`}
          aria-current={active === status ? "page" : undefined}
          className={clsx(
            "rounded-xl bg-white dark:bg-slate-900 p-3 ring-1 hover:ring-indigo-400",
            active === status ? "ring-2 ring-indigo-500" : "ring-slate-200 dark:ring-slate-700",
          )}
        >
          <span className="block text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            {status === "flagged" ? "⚑ Flagged" : statusLabel(status)}
          </span>
          <span data-count={status} className={clsx("block text-2xl font-semibold tabular-nums", ACCENT[status])}>
            {fmt(counts[status])}
          </span>
        </Link>
      ))}
    </nav>
  );
}
