// Figures every benchmark reports: percentiles of latencies and the peak resident memory of this process.

/** The `p`-th percentile (nearest rank) of ascending `sorted` values; 0 for an empty list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Samples the process RSS every 20 ms until the returned function is called; that returns the peak in MiB (0.1). */
export function rssSampler(): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.round((Math.max(peak, process.memoryUsage().rss) / 2 ** 20) * 10) / 10;
  };
}
