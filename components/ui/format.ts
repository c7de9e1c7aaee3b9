/** A time as the console shows it: `2026-11-30 16:47:46 UTC` (to the minute with `{ seconds: false }`). */
export function formatUtc(date: Date, options: { seconds?: boolean } = {}): string {
  return (
    date
      .toISOString()
      .replace("T", " ")
      .slice(0, options.seconds === false ? 16 : 19) + " UTC"
  );
}
