import clsx from "@/components/ui/clsx";

const STATUS: Record<string, { label: string; className: string }> = {
  pending: {
    label: "Pending",
    className: "bg-slate-100 dark:bg-slate-800 text-slate-700 dark:text-slate-300 ring-slate-300 dark:ring-slate-600",
  },
  live: {
    label: "Live",
    className: "bg-emerald-50 dark:bg-emerald-950/40 text-emerald-800 dark:text-emerald-200 ring-emerald-300 dark:ring-emerald-800",
  },
  misconfigured: {
    label: "Misconfigured",
    className: "bg-amber-50 dark:bg-amber-950/40 text-amber-900 dark:text-amber-100 ring-amber-300 dark:ring-amber-800",
  },
  nxdomain: {
    label: "Not found",
    className: "bg-rose-50 dark:bg-rose-950/40 text-rose-800 dark:text-rose-200 ring-rose-300 dark:ring-rose-800",
  },
  error: { label: "DNS error", className: "bg-red-50 dark:bg-red-950/40 text-red-800 dark:text-red-200 ring-red-300 dark:ring-red-800" },
  none: {
    label: "No domains",
    className: "bg-slate-100 dark:bg-slate-800 text-slate-600 dark:text-slate-400 ring-slate-300 dark:ring-slate-600",
  },
};

/** The words for a go-live status (Pending, Live, Misconfigured, Not found, DNS error). */
export function statusLabel(status: string): string {
  return STATUS[status]?.label ?? status;
}

/** A go-live status as a badge in words; `label` overrides the words (e.g. "Partly live (1/2)"). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const look = STATUS[status] ?? STATUS.pending;
  return (
    <span
      data-status={status}
      className={clsx("inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset", look.className)}
    >
      {label ?? look.label}
    </span>
  );
}
