"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SnapshotPoint } from "@/lib/ops/snapshots";

/** Live and non-live domains per UTC day (stacked bars) from the daily snapshots, with flagged ones as a line. */
export function StatusChart({ points }: { points: SnapshotPoint[] }) {
  if (points.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No snapshots yet: the first is taken today.</p>;
  return (
    <div
      className="h-56 w-full"
      role="img"
      aria-label={`Live and non-live domains per day, ${points[0].day} to ${points[points.length - 1].day}`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barCategoryGap="20%">
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 11, fill: "#64748b" }} tickFormatter={(d: string) => d.slice(5)} minTickGap={16} />
          <YAxis tick={{ fontSize: 11, fill: "#64748b" }} width={56} allowDecimals={false} />
          <Tooltip formatter={(value) => Number(value).toLocaleString("en-US")} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="live" name="Live" stackId="all" fill="#10b981" maxBarSize={48} isAnimationActive={false} />
          <Bar dataKey="notLive" name="Not live" stackId="all" fill="#f59e0b" maxBarSize={48} isAnimationActive={false} />
          <Line
            type="monotone"
            dataKey="flagged"
            name="Flagged"
            stroke="#e11d48"
            strokeWidth={2}
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
