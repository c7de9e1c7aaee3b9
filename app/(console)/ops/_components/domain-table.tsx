"use client";

import Link from "next/link";
import { useState } from "react";
import { StatusBadge } from "@/components/ui/status-badge";
import { BulkVerify } from "./bulk-verify";

/** A row of the operator table, ready to show (times formatted on the server). */
export type OpsTableRow = {
  id: number;
  hostname: string;
  hostnameUnicode: string;
  status: string;
  flagged: boolean;
  lastChecked: string | null;
  accountId: number;
  accountName: string;
  applicationName: string;
  /** Set when the operator is a member of the account and may open the application page. */
  applicationHref: string | null;
};

/** The `/ops` table: every domain of the page with a checkbox; the selection can be verified with progress. */
export function DomainTable({ rows }: { rows: OpsTableRow[] }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggle = (id: number) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleAll = () => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)));
  const chosen = rows.filter((r) => selected.has(r.id)).map((r) => ({ id: r.id, hostname: r.hostnameUnicode }));

  return (
    <div className="space-y-3">
      <BulkVerify selection={chosen} onClear={() => setSelected(new Set())} />
      <div className="relative overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
        <table className="w-full text-left text-sm sm:min-w-[56rem]">
          <thead className="bg-slate-50 dark:bg-slate-800/50 text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
            <tr>
              <th className="w-10 px-3 py-2 sm:px-4">
                <input
                  type="checkbox"
                  aria-label="Select every domain on this page"
                  checked={allSelected}
                  onChange={toggleAll}
                  className="size-4 accent-indigo-600"
                />
              </th>
              <th className="px-4 py-2 font-medium">Hostname</th>
              <th className="px-4 py-2 font-medium">Status</th>
              <th className="hidden sm:table-cell whitespace-nowrap px-4 py-2 font-medium">Last check</th>
              <th className="hidden sm:table-cell px-4 py-2 font-medium">Account</th>
              <th className="hidden sm:table-cell px-4 py-2 font-medium">Application</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid={`ops-row-${r.hostname}`} className="border-t border-slate-100 dark:border-slate-800 align-top">
                <td className="px-3 py-2.5 sm:px-4">
                  <input
                    type="checkbox"
                    aria-label={`Select ${r.hostnameUnicode}`}
                    checked={selected.has(r.id)}
                    onChange={() => toggle(r.id)}
                    className="size-4 accent-indigo-600"
                  />
                </td>
                <td className="px-4 py-2.5">
                  <span className="font-medium text-slate-900 dark:text-slate-100 [overflow-wrap:anywhere]">{r.hostnameUnicode}</span>
                  {r.hostnameUnicode !== r.hostname ? (
                    <span className="block font-mono text-xs text-slate-500 dark:text-slate-400 [overflow-wrap:anywhere]">
                      {r.hostname}
                    </span>
                  ) : null}
                  <span className="mt-0.5 block text-xs text-slate-500 dark:text-slate-400 [overflow-wrap:anywhere] sm:hidden">
                    {r.accountName} #{r.accountId} · {r.applicationName} · {r.lastChecked ? `checked ${r.lastChecked}` : "never checked"}
                  </span>
                </td>
                <td className="px-4 py-2.5">
                  <div className="flex flex-wrap items-center gap-1.5 whitespace-nowrap">
                    <StatusBadge status={r.status} />
                    {r.flagged ? (
                      <span
                        data-flagged="true"
                        title="Was live, then stopped pointing at the edge"
                        className="inline-flex items-center rounded-full bg-rose-600 px-2 py-0.5 text-xs font-semibold text-white"
                      >
                        ⚑ Flagged
                      </span>
                    ) : null}
                  </div>
                </td>
                <td className="hidden whitespace-nowrap px-4 py-2.5 font-mono text-xs text-slate-600 dark:text-slate-400 sm:table-cell">
                  {r.lastChecked ?? "never"}
                </td>
                <td className="hidden px-4 py-2.5 sm:table-cell">
                  <Link
                    href={`/ops?account=${r.accountId}`}
                    className="text-indigo-700 dark:text-indigo-300 hover:underline"
                    title={`Show only account #${r.accountId}`}
                  >
                    {r.accountName}
                  </Link>
                  <span className="block text-xs text-slate-500 dark:text-slate-400">#{r.accountId}</span>
                </td>
                <td className="hidden px-4 py-2.5 [overflow-wrap:anywhere] sm:table-cell">
                  {r.applicationHref ? (
                    <Link href={r.applicationHref} className="text-indigo-700 dark:text-indigo-300 hover:underline">
                      {r.applicationName}
                    </Link>
                  ) : (
                    <span className="text-slate-700 dark:text-slate-300">{r.applicationName}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
