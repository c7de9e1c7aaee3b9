import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { requireOperator } from "@/lib/ops/access";
import { listRecentPurges, type OpsPurge } from "@/lib/purge/ops";
import { AutoRefresh } from "../_components/auto-refresh";

export const metadata: Metadata = { title: "Purges" };

const KIND_LABELS: Record<OpsPurge["kind"], string> = {
  all: "Everything",
  prefix: "Prefix",
  url: "URL",
  expression: "Expression",
};

/**
 * Recent purges across every account (docs/edge.md "Purge"): when, which account, application and environment, what
 * was purged and by whom, and per node whether it was applied (with how long it took), failed, or is pending.
 * 404 for anyone but an operator.
 */
export default async function OpsPurgesPage() {
  await requireOperator();
  const list = await listRecentPurges(50);
  const pending = list.filter((p) => !p.complete).length;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Purges</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {list.length === 1 ? "The last purge" : `The last ${list.length} purges`} of every account
            {pending ? `, ${pending} not yet applied on every active node` : ""}.
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-4">
          <AutoRefresh />
          <Link href="/ops/edge" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            ← Edge nodes
          </Link>
        </div>
      </div>
      {list.length === 0 ? (
        <p className="rounded-xl bg-white dark:bg-slate-900 p-6 text-center text-sm text-slate-600 dark:text-slate-400 ring-1 ring-slate-200 dark:ring-slate-700">
          No purges yet.
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="ops-purges">
            <caption className="sr-only">Recent purges of every account and when each edge node applied them</caption>
            <thead className="text-xs whitespace-nowrap text-slate-500 dark:text-slate-400">
              <tr>
                <th className="py-1 pr-3 font-medium">Sent</th>
                <th className="py-1 pr-3 font-medium">Account</th>
                <th className="py-1 pr-3 font-medium">Application</th>
                <th className="py-1 pr-3 font-medium">Environment</th>
                <th className="py-1 pr-3 font-medium">What</th>
                <th className="py-1 pr-3 font-medium">By</th>
                <th className="py-1 font-medium">Edge nodes</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id} className="border-t border-slate-100 dark:border-slate-800 align-top" data-purge-id={p.id}>
                  <td className="py-1.5 pr-3 whitespace-nowrap">{formatUtc(p.createdAt)}</td>
                  <td className="py-1.5 pr-3">
                    {p.account} <span className="text-xs text-slate-500 dark:text-slate-400">#{p.accountId}</span>
                  </td>
                  <td className="py-1.5 pr-3">{p.application}</td>
                  <td className="py-1.5 pr-3 whitespace-nowrap">{p.environment}</td>
                  <td className="py-1.5 pr-3">
                    {KIND_LABELS[p.kind]}
                    {p.input ? <code className="ml-1 break-all">{p.input}</code> : null}
                  </td>
                  <td className="py-1.5 pr-3">{p.createdBy ?? "—"}</td>
                  <td className="py-1.5">
                    {p.nodes.length === 0 ? (
                      <span className="text-slate-500 dark:text-slate-400">no active node</span>
                    ) : (
                      <ul>
                        {p.nodes.map((n) => (
                          <li
                            key={n.node}
                            data-state={n.state}
                            className={n.state === "failed" ? "text-rose-700 dark:text-rose-300" : undefined}
                          >
                            {n.node}:{" "}
                            {n.state === "applied" && n.appliedAt
                              ? `applied ${formatUtc(n.appliedAt)} (${((n.appliedAt.getTime() - p.createdAt.getTime()) / 1000).toFixed(1)} s)`
                              : n.state === "failed"
                                ? `failed: ${n.error}`
                                : "pending"}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
