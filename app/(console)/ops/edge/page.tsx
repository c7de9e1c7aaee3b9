import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { listEdgeNodes } from "@/lib/edge/nodes";
import { requireOperator } from "@/lib/ops/access";
import { AutoRefresh } from "../_components/auto-refresh";
import { AddNodeForm } from "./_components/add-node-form";
import { NodeTable, type NodeTableRow } from "./_components/node-table";
import { sinceWords } from "./_components/since";

export const metadata: Metadata = { title: "Edge nodes" };

/**
 * Edge nodes (docs/product.md §8 "Operators", docs/edge.md "Node tokens"): every node with its last contact, the
 * address and ports it serves on, the desired-state version it applied, the tools it runs, its last error and a
 * "stale" badge (no contact for over 2 minutes); add a node (token shown once), drain/undrain, revoke. 404 for anyone
 * but an operator; each action checks again on the server.
 */
export default async function EdgeNodesPage() {
  await requireOperator();
  const now = new Date();
  const nodes = await listEdgeNodes();
  const rows: NodeTableRow[] = nodes.map((n) => ({
    id: n.id,
    name: n.name,
    prefix: n.prefix,
    createdAt: formatUtc(n.createdAt, { seconds: false }),
    revoked: n.revokedAt ? formatUtc(n.revokedAt, { seconds: false }) : null,
    drain: n.drain,
    stale: n.stale,
    lastContact: n.lastContactAt ? sinceWords(n.lastContactAt, now) : null,
    lastContactAt: n.lastContactAt ? formatUtc(n.lastContactAt) : null,
    address: n.address ? `${n.address.includes(":") ? `[${n.address}]` : n.address}` : null,
    ports: [n.httpPort ? `http ${n.httpPort}` : null, n.httpsPort ? `https ${n.httpsPort}` : null].filter((p): p is string => !!p),
    appliedVersion: n.appliedVersion,
    tools: Object.entries(n.tools ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tool, version]) => `${tool} ${version}`),
    lastError: n.lastError,
  }));
  const active = nodes.filter((n) => !n.revokedAt);
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Edge nodes</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Machines that serve every routable environment. {active.length} active
            {active.length
              ? `, ${active.filter((n) => n.stale && n.lastContactAt).length} stale, ${active.filter((n) => n.drain).length} drained`
              : ""}
            .
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-4">
          <AutoRefresh />
          <Link href="/ops" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            ← Operations
          </Link>
          <Link href="/ops/traffic" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Traffic →
          </Link>
          <Link href="/ops/purges" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Purges →
          </Link>
          <Link href="/ops/log" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Operator log →
          </Link>
        </div>
      </div>
      {rows.length === 0 ? (
        <p className="rounded-xl bg-white dark:bg-slate-900 p-6 text-center text-sm text-slate-600 dark:text-slate-400 ring-1 ring-slate-200 dark:ring-slate-700">
          No edge nodes yet. Add one below, then start its agent with the command shown.
        </p>
      ) : (
        <NodeTable rows={rows} />
      )}
      <section aria-labelledby="add-node-heading" className="space-y-3">
        <h2 id="add-node-heading" className="text-lg font-semibold">
          Add a node
        </h2>
        <AddNodeForm />
      </section>
    </div>
  );
}
