// Formatting of traffic numbers for pages (docs/traffic.md "Pages"); shared by server pages and the client charts.

/** Bytes as B, kB, MB, GB, TB (powers of 1000), one decimal above bytes: 1234567 → "1.2 MB". */
export function formatBytes(v: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
