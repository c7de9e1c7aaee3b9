/**
 * How long ago `at` was, in the words /ops/edge uses for a node's last contact: `3 s ago`, `5 min ago`, `2 h ago`,
 * `4 d ago`; `just now` for under a second (or a time slightly ahead of `now`, from clock skew).
 */
export function sinceWords(at: Date, now: Date): string {
  const seconds = Math.floor((now.getTime() - at.getTime()) / 1000);
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}
