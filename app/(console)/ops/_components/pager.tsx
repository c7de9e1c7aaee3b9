import Link from "next/link";

/** Previous / Next links of a keyset-paginated table (hrefs carry the cursor); absent links are shown disabled. */
export function Pager({ previous, next }: { previous: string | null; next: string | null }) {
  const look = "rounded-md px-3 py-1.5 text-sm font-semibold ring-1 ring-inset";
  return (
    <nav aria-label="Pages" className="flex items-center justify-end gap-2">
      {previous ? (
        <Link
          href={previous}
          rel="prev"
          className={`${look} bg-white dark:bg-slate-900 text-slate-900 dark:text-slate-100 ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
        >
          ← Previous
        </Link>
      ) : (
        <span aria-disabled="true" className={`${look} text-slate-400 dark:text-slate-500 ring-slate-200 dark:ring-slate-700`}>
          ← Previous
        </span>
      )}
      {next ? (
        <Link
          href={next}
          rel="next"
          className={`${look} bg-white dark:bg-slate-900 text-slate-900 dark:text-slate-100 ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
        >
          Next →
        </Link>
      ) : (
        <span aria-disabled="true" className={`${look} text-slate-400 dark:text-slate-500 ring-slate-200 dark:ring-slate-700`}>
          Next →
        </span>
      )}
    </nav>
  );
}
