"use client";

import dynamic from "next/dynamic";
import type { ChartSeries } from "./traffic-charts-view";

export type { ChartSeries };

/** The chart titles, in the order the view draws them (the placeholder shows the same boxes while it loads). */
const TITLES = ["Requests", "Error rate (5xx)", "Cache hit ratio", "Bandwidth (sent)", "p95 latency"];

/**
 * The Traffic tab's charts (components/traffic/traffic-charts-view.tsx), loaded after the page: recharts is about
 * 110 kB of gzip JavaScript, and the tab's numbers, totals and recent requests need none of it (docs/architecture.md
 * "First-load JavaScript"). Until it is there, the five chart boxes hold their place so nothing moves.
 */
export const TrafficCharts = dynamic(() => import("./traffic-charts-view").then((m) => m.TrafficCharts), {
  ssr: false,
  loading: () => (
    <div className="grid gap-6 lg:grid-cols-2" aria-busy="true">
      {TITLES.map((title) => (
        <figure key={title} className="space-y-2">
          <figcaption className="text-sm font-medium text-slate-700 dark:text-slate-300">{title}</figcaption>
          <div className="h-48 w-full rounded bg-slate-50 dark:bg-slate-800/40" />
        </figure>
      ))}
    </div>
  ),
});
