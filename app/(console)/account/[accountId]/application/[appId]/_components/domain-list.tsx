import Link from "next/link";
import { listLatestChecks, type DomainPage } from "@/lib/domains/listing";
import { domainDetailsOf, domainSummaryOf } from "./domain-details-data";
import { DomainPanel } from "./domain-panel";

/** The list URL for a search and a cursor, e.g. `…/application/7?q=shop&after=shop.example`. */
function listHref(basePath: string, prefix: string, cursor: { after?: string; before?: string } = {}): string {
  const search = new URLSearchParams();
  if (prefix) search.set("q", prefix);
  if (cursor.after) search.set("after", cursor.after);
  if (cursor.before) search.set("before", cursor.before);
  const qs = search.toString();
  return qs ? `${basePath}?${qs}#domains-heading` : `${basePath}#domains-heading`;
}

/**
 * An environment's domains, one page at a time in hostname order (keyset pages, docs/product.md §3.5), with a search
 * by the start of the hostname once the list is longer than a page of details; each domain as a {@link DomainPanel}
 * with its details in place (`inline`: their last checks read in one query) or loaded when opened.
 */
export async function DomainList({
  basePath,
  page,
  total,
  search,
  inline,
  canVerify,
  canManage,
}: {
  basePath: string;
  page: DomainPage;
  /** Domains of the environment. */
  total: number;
  search: { prefix: string; q: string; error?: string };
  inline: boolean;
  canVerify: boolean;
  canManage: boolean;
}) {
  const searching = !!search.prefix && !search.error;
  const showSearch = !inline || !!search.q;
  const { rows } = page;
  const lastChecks = inline ? await listLatestChecks(rows.map((d) => d.id)) : new Map<number, never>();
  const details = inline ? await Promise.all(rows.map((d) => domainDetailsOf(d, lastChecks.get(d.id)))) : [];
  return (
    <>
      {showSearch ? (
        <form method="get" action={basePath} role="search" aria-label="Domains" className="flex flex-wrap items-end gap-2">
          <div>
            <label htmlFor="domain-search" className="block text-xs font-medium text-slate-600 dark:text-slate-400">
              Hostname starts with
            </label>
            <input
              id="domain-search"
              name="q"
              defaultValue={search.q}
              placeholder="shop.example"
              autoComplete="off"
              aria-invalid={search.error ? true : undefined}
              aria-describedby={search.error ? "domain-search-error" : undefined}
              className="mt-1 w-64 rounded-md border-0 px-2.5 py-1.5 text-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 focus:ring-2 focus:ring-indigo-600"
            />
          </div>
          <button
            type="submit"
            className="rounded-md bg-white dark:bg-slate-900 px-3 py-1.5 text-sm font-semibold text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50"
          >
            Search
          </button>
          {search.q ? (
            <Link href={listHref(basePath, "")} className="py-1.5 text-sm text-slate-600 dark:text-slate-400 hover:underline">
              Clear
            </Link>
          ) : null}
          {search.error ? (
            <p id="domain-search-error" className="w-full text-sm text-red-700 dark:text-red-300">
              {search.error}
            </p>
          ) : null}
        </form>
      ) : null}
      {total > 0 && (showSearch || searching) ? (
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="domain-count">
          {searching ? `${page.matching} of ${total} domains start with “${search.prefix}”.` : `${total} domains, by hostname.`}
          {inline ? "" : " Open a domain's details for its DNS records and last check."}
        </p>
      ) : null}
      {total === 0 ? <p className="text-sm text-slate-600 dark:text-slate-400">This environment has no domains.</p> : null}
      {total > 0 && rows.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {page.matching === 0 ? (
            "No domain matches."
          ) : (
            <>
              No domain on this page.{" "}
              <Link
                href={listHref(basePath, searching ? search.prefix : "")}
                className="text-indigo-700 dark:text-indigo-300 hover:underline"
              >
                First page
              </Link>
            </>
          )}
        </p>
      ) : null}
      {rows.map((domain, i) => (
        <DomainPanel
          key={domain.id}
          domain={domainSummaryOf(domain, lastChecks.get(domain.id))}
          details={details[i]}
          canVerify={canVerify}
          canManage={canManage}
        />
      ))}
      {page.hasPrevious || page.hasNext ? (
        <nav aria-label="Domain pages" className="flex gap-4 text-sm font-semibold">
          {page.hasPrevious && rows.length ? (
            <Link
              href={listHref(basePath, searching ? search.prefix : "", { before: rows[0].hostname })}
              className="text-indigo-700 dark:text-indigo-300 hover:underline"
            >
              ← Previous
            </Link>
          ) : null}
          {page.hasNext && rows.length ? (
            <Link
              href={listHref(basePath, searching ? search.prefix : "", { after: rows[rows.length - 1].hostname })}
              className="text-indigo-700 dark:text-indigo-300 hover:underline"
            >
              Next →
            </Link>
          ) : null}
        </nav>
      ) : null}
    </>
  );
}
