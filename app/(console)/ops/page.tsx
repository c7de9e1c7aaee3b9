import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { statusLabel } from "@/components/ui/status-badge";
import { requireOperator } from "@/lib/ops/access";
import { opsHref, parseOpsFilter } from "@/lib/ops/filters";
import { getAccountName, getStatusCounts, listOpsDomains, memberAccountIds } from "@/lib/ops/queries";
import { ensureDailySnapshot, listSnapshotPoints, withCurrentCounts } from "@/lib/ops/snapshots";
import { AutoRefresh } from "./_components/auto-refresh";
import { DomainTable, type OpsTableRow } from "./_components/domain-table";
import { FilterForm } from "./_components/filter-form";
import { Pager } from "./_components/pager";
import { StatusChart } from "./_components/status-chart";
import { StatusCounters } from "./_components/status-counters";

export const metadata: Metadata = { title: "Operations" };

/**
 * The operator view (docs/product.md §3.5): every domain of every account with status, flag, last check, account and
 * application; counts per status; filters (status, account id, hostname prefix) in the URL; keyset pages of 50;
 * "Verify now" for a selection; a chart of live and non-live domains per day. 404 for anyone but an operator.
 */
export default async function OpsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const operator = await requireOperator();
  const { filter, errors, values } = parseOpsFilter(await searchParams);
  // Independent reads at once: on PostgreSQL each is a round trip on its own pooled connection.
  const [counts, page, snapshotPoints, accountName] = await Promise.all([
    getStatusCounts(),
    listOpsDomains(filter),
    ensureDailySnapshot().then(() => listSnapshotPoints({ days: 90 })),
    filter.accountId ? getAccountName(filter.accountId).then((name) => name ?? "") : null,
  ]);
  const members = await memberAccountIds(operator.id, [...new Set(page.rows.map((r) => r.accountId))]);
  const rows: OpsTableRow[] = page.rows.map((r) => ({
    id: r.id,
    hostname: r.hostname,
    hostnameUnicode: r.hostnameUnicode,
    status: r.status,
    flagged: r.flagged,
    lastChecked: r.lastCheckedAt ? formatUtc(r.lastCheckedAt, { seconds: false }) : null,
    accountId: r.accountId,
    accountName: r.accountName,
    applicationName: r.applicationName,
    applicationHref: members.has(r.accountId) ? `/account/${r.accountId}/application/${r.applicationId}` : null,
  }));
  const first = page.rows[0]?.hostname;
  const last = page.rows[page.rows.length - 1]?.hostname;
  const previous = page.hasPrevious ? (first ? opsHref(filter, { before: first }) : opsHref(filter)) : null;
  const next = page.hasNext ? (last ? opsHref(filter, { after: last }) : opsHref(filter)) : null;
  const active = filter.flagged ? "flagged" : (filter.status ?? "");
  const points = withCurrentCounts(snapshotPoints, counts);
  const described = [
    filter.flagged ? "flagged" : filter.status ? statusLabel(filter.status) : null,
    filter.accountId ? `account #${filter.accountId}` : null,
    filter.prefix ? `hostnames starting with “${filter.prefix}”` : null,
  ].filter(Boolean);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Operations</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">Go-live status of every domain on the platform, across all accounts.</p>
        </div>
        <div className="flex flex-wrap items-center gap-4">
          <AutoRefresh />
          <Link href="/ops/edge" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Edge nodes →
          </Link>
          <Link href="/ops/certificates" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Certificates →
          </Link>
          <Link href="/ops/log" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Operator log →
          </Link>
        </div>
      </div>
      <StatusCounters counts={counts} active={active} />
      <section aria-labelledby="ops-chart" className="rounded-xl bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700">
        <h2 id="ops-chart" className="mb-2 text-sm font-semibold text-slate-800 dark:text-slate-200">
          Live and not live, per day (UTC)
        </h2>
        <StatusChart points={points} />
      </section>
      <FilterForm values={values} errors={errors} accountName={accountName} />
      <section aria-labelledby="ops-domains" className="space-y-3">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="ops-domains" className="text-lg font-semibold">
            Domains
            {described.length ? (
              <span className="ml-2 text-sm font-normal text-slate-600 dark:text-slate-400">{described.join(" · ")}</span>
            ) : null}
          </h2>
          <Pager previous={previous} next={next} />
        </div>
        {rows.length === 0 ? (
          <p className="rounded-xl bg-white dark:bg-slate-900 p-6 text-center text-sm text-slate-600 dark:text-slate-400 ring-1 ring-slate-200 dark:ring-slate-700">
            No domains match these filters.
          </p>
        ) : (
          <DomainTable rows={rows} />
        )}
        {rows.length > 0 ? <Pager previous={previous} next={next} /> : null}
      </section>
    </div>
  );
}
