import clsx from "@/components/ui/clsx";

const STATUS: Record<string, { label: string; className: string }> = {
  pending: { label: "Pending", className: "bg-slate-100 text-slate-700 ring-slate-300" },
  live: { label: "Live", className: "bg-emerald-50 text-emerald-800 ring-emerald-300" },
  misconfigured: { label: "Misconfigured", className: "bg-amber-50 text-amber-900 ring-amber-300" },
  nxdomain: { label: "Not found", className: "bg-rose-50 text-rose-800 ring-rose-300" },
  error: { label: "DNS error", className: "bg-red-50 text-red-800 ring-red-300" },
  none: { label: "No domains", className: "bg-slate-100 text-slate-600 ring-slate-300" },
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
