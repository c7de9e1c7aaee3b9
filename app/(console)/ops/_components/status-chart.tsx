"use client";

import dynamic from "next/dynamic";
import type { SnapshotPoint } from "@/lib/ops/snapshots";

/**
 * The chart itself (./status-chart-view.tsx), loaded after the page so that recharts (about 110 kB of gzip
 * JavaScript) is not part of /ops's first load (docs/architecture.md "First-load JavaScript"); its box holds its
 * place meanwhile.
 */
const StatusChartView = dynamic(() => import("./status-chart-view").then((m) => m.StatusChart), {
  ssr: false,
  loading: () => <div className="h-56 w-full rounded bg-slate-50 dark:bg-slate-800/40" aria-busy="true" />,
});

/** Live and non-live domains per UTC day from the daily snapshots; a sentence while there are none. */
export function StatusChart({ points }: { points: SnapshotPoint[] }) {
  if (points.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No snapshots yet: the first is taken today.</p>;
  return <StatusChartView points={points} />;
}
