import { trafficSeries, type TrafficPoint, type TrafficStep } from "./query";

// The ranges the traffic pages offer (docs/traffic.md "Pages") and the series they show.

/** Ranges of the traffic page: 1 hour and 24 hours of minutes, 7 days of hours. */
export const TRAFFIC_RANGES: Record<string, { label: string; ms: number; step: TrafficStep }> = {
  "1h": { label: "1 hour", ms: 3_600_000, step: "minute" },
  "24h": { label: "24 hours", ms: 86_400_000, step: "minute" },
  "7d": { label: "7 days", ms: 7 * 86_400_000, step: "hour" },
};

/**
 * The series of `environmentIds` over the range `rangeKey` (unknown keys mean "1h") ending with the current period
 * (`now`, epoch ms), keyed by environment id.
 */
export async function trafficView(environmentIds: readonly number[], rangeKey: string, now: number = Date.now()) {
  const key = TRAFFIC_RANGES[rangeKey] ? rangeKey : "1h";
  const range = TRAFFIC_RANGES[key];
  const stepMs = range.step === "minute" ? 60_000 : 3_600_000;
  const to = now - (now % stepMs) + stepMs;
  const series: Map<number, TrafficPoint[]> = await trafficSeries(environmentIds, to - range.ms, to, range.step);
  return { key, range, series };
}
