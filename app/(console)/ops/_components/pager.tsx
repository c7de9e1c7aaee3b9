import Link from "next/link";

/** Previous / Next links of a keyset-paginated table (hrefs carry the cursor); absent links are shown disabled. */
export function Pager({ previous, next }: { previous: string | null; next: string | null }) {
  const look = "rounded-md px-3 py-1.5 text-sm font-semibold ring-1 ring-inset";
  return (
    <nav aria-label="Pages" className="flex items-center justify-end gap-2">
      {previous ? (
        <Link href={previous} rel="prev" className={`${look} bg-white text-slate-900 ring-slate-300 hover:bg-slate-50`}>
          ← Previous
        </Link>
      ) : (
        <span aria-disabled="true" className={`${look} text-slate-400 ring-slate-200`}>
          ← Previous
        </span>
      )}
      {next ? (
        <Link href={next} rel="next" className={`${look} bg-white text-slate-900 ring-slate-300 hover:bg-slate-50`}>
          Next →
        </Link>
      ) : (
        <span aria-disabled="true" className={`${look} text-slate-400 ring-slate-200`}>
          Next →
        </span>
      )}
    </nav>
  );
}
