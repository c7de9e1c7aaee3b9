import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { listEdgeNodes } from "@/lib/edge/nodes";
import { requireOperator } from "@/lib/ops/access";
import { formatBytes } from "@/lib/traffic/format";
import { fleetView } from "@/lib/traffic/fleet";
import { AutoRefresh } from "../_components/auto-refresh";

export const metadata: Metadata = { title: "Edge traffic" };

/**
 * Fleet traffic (docs/traffic.md "Operators"): per active node over the last hour, requests, 5xx, bytes sent, log
 * lines the node lost and pushes it dropped, and when it last pushed metrics; a node that stopped pushing is flagged.
 * 404 for anyone but an operator.
 */
export default async function OpsTrafficPage() {
  await requireOperator();
  const nodes = (await listEdgeNodes()).filter((n) => !n.revokedAt);
  const view = await fleetView(nodes.map((n) => ({ id: n.id, name: n.name })));
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Edge traffic</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Last hour, per node: {view.total.requests.toLocaleString("en-US")} requests, {formatBytes(view.total.bytesOut)} sent.
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-4">
          <AutoRefresh />
          <Link href="/ops/edge" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            ← Edge nodes
          </Link>
        </div>
      </div>
      {view.rows.length === 0 ? (
        <p className="rounded-xl bg-white dark:bg-slate-900 p-6 text-center text-sm text-slate-600 dark:text-slate-400 ring-1 ring-slate-200 dark:ring-slate-700">
          No active edge nodes.
        </p>
      ) : (
        <table className="w-full text-left text-sm">
          <thead className="text-xs text-slate-500 dark:text-slate-400">
            <tr>
              <th className="py-1 pr-3">Node</th>
              <th className="py-1 pr-3">Requests</th>
              <th className="py-1 pr-3">5xx</th>
              <th className="py-1 pr-3">Sent</th>
              <th className="py-1 pr-3">Log lines lost</th>
              <th className="py-1 pr-3">Pushes dropped</th>
              <th className="py-1 pr-3">Last push</th>
            </tr>
          </thead>
          <tbody>
            {view.rows.map((r) => (
              <tr key={r.nodeId} className="border-t border-slate-100 dark:border-slate-800">
                <td className="py-1 pr-3 font-medium">{r.name}</td>
                <td className="py-1 pr-3">{r.requests.toLocaleString("en-US")}</td>
                <td className="py-1 pr-3">{r.status5xx.toLocaleString("en-US")}</td>
                <td className="py-1 pr-3">{formatBytes(r.bytesOut)}</td>
                <td className={`py-1 pr-3 ${r.lostLogs ? "font-semibold text-rose-700 dark:text-rose-300" : ""}`}>
                  {r.lostLogs.toLocaleString("en-US")}
                </td>
                <td className={`py-1 pr-3 ${r.droppedPushes ? "font-semibold text-rose-700 dark:text-rose-300" : ""}`}>
                  {r.droppedPushes}
                </td>
                <td className="py-1 pr-3">
                  {r.lastPushAt ? formatUtc(new Date(r.lastPushAt)) : "never"}
                  {r.stopped ? (
                    <span className="ml-2 rounded-full bg-rose-100 dark:bg-rose-900/40 px-2 py-0.5 text-xs font-medium text-rose-800 dark:text-rose-200">
                      stopped reporting
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
