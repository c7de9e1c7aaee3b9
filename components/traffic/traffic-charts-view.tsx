"use client";

import { formatBytes } from "@/lib/traffic/format";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

/** One environment's series as the charts take it (docs/traffic.md "Pages"): one value per period, null for none. */
export type ChartSeries = {
  name: string;
  points: { at: number; requests: number; errorRate: number | null; hitRatio: number | null; bytesOut: number; p95Ms: number | null }[];
};

const COLORS = ["#4f46e5", "#059669", "#d97706", "#e11d48", "#0891b2", "#7c3aed", "#65a30d", "#db2777"];

type Metric = {
  key: "requests" | "errorRate" | "hitRatio" | "bytesOut" | "p95Ms";
  title: string;
  /** The value in the tooltip. */
  format: (v: number) => string;
  /** The value on the y axis (short enough for one line). */
  tick?: (v: number) => string;
};

/** A ratio as a whole percent on the axis, with one decimal below 10 % (`2.5 %`, `27 %`). */
const percentTick = (v: number) => `${Number((v * 100).toFixed(v < 0.1 ? 1 : 0))} %`;

const METRICS: Metric[] = [
  { key: "requests", title: "Requests", format: (v) => v.toLocaleString("en-US") },
  { key: "errorRate", title: "Error rate (5xx)", format: (v) => `${(v * 100).toFixed(2)} %`, tick: percentTick },
  { key: "hitRatio", title: "Cache hit ratio", format: (v) => `${(v * 100).toFixed(1)} %`, tick: percentTick },
  { key: "bytesOut", title: "Bandwidth (sent)", format: formatBytes },
  {
    key: "p95Ms",
    title: "p95 latency",
    format: (v) => `≤ ${v.toLocaleString("en-US")} ms`,
    tick: (v) => `${v.toLocaleString("en-US")} ms`,
  },
];

/**
 * Indexes of `values` with a value whose neighbours have none: a line cannot draw them (a ratio or p95 exists only
 * for periods with requests, so one busy minute among idle ones would leave its chart empty), so they get a dot.
 */
export function isolatedPoints(values: readonly (number | null | undefined)[]): Set<number> {
  const out = new Set<number>();
  const has = (i: number) => values[i] !== null && values[i] !== undefined;
  for (let i = 0; i < values.length; i++) if (has(i) && !has(i - 1) && !has(i + 1)) out.add(i);
  return out;
}

/**
 * Five charts (requests, 5xx rate, cache hit ratio, bandwidth, p95) with one line per environment, side by side on
 * the same time axis. `hourly` labels the axis with dates instead of times.
 */
export function TrafficCharts({ series, hourly }: { series: ChartSeries[]; hourly: boolean }) {
  const first = series[0]?.points ?? [];
  const rows = first.map((p, i) => {
    const row: Record<string, number | null> = { at: p.at };
    for (const s of series) for (const m of METRICS) row[`${s.name}:${m.key}`] = s.points[i]?.[m.key] ?? null;
    return row;
  });
  const tick = (at: number) => {
    const iso = new Date(at).toISOString();
    return hourly ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(11, 16);
  };
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      {METRICS.map((m) => (
        <figure key={m.key} className="space-y-2">
          <figcaption className="text-sm font-medium text-slate-700 dark:text-slate-300">{m.title}</figcaption>
          <div className="h-48 w-full" role="img" aria-label={`${m.title} per ${hourly ? "hour" : "minute"}, UTC`}>
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
                <XAxis dataKey="at" tick={{ fontSize: 11, fill: "#64748b" }} tickFormatter={tick} minTickGap={24} />
                <YAxis tick={{ fontSize: 11, fill: "#64748b" }} width={64} tickFormatter={(v: number) => (m.tick ?? m.format)(v)} />
                <Tooltip
                  labelFormatter={(at) => `${new Date(Number(at)).toISOString().slice(0, 16).replace("T", " ")} UTC`}
                  formatter={(v) => (v === null || v === undefined ? "—" : m.format(Number(v)))}
                />
                {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
                {series.map((s, i) => {
                  const isolated = isolatedPoints(s.points.map((p) => p[m.key]));
                  return (
                    <Line
                      key={s.name}
                      type="monotone"
                      dataKey={`${s.name}:${m.key}`}
                      name={s.name}
                      stroke={COLORS[i % COLORS.length]}
                      strokeWidth={2}
                      dot={(props) =>
                        isolated.has(props.index) && props.cx !== undefined && props.cy !== undefined ? (
                          <circle
                            key={`dot-${props.index}`}
                            className="recharts-line-dot"
                            cx={props.cx}
                            cy={props.cy}
                            r={3}
                            fill={COLORS[i % COLORS.length]}
                          />
                        ) : null
                      }
                      connectNulls={false}
                      isAnimationActive={false}
                    />
                  );
                })}
              </LineChart>
            </ResponsiveContainer>
          </div>
        </figure>
      ))}
    </div>
  );
}
