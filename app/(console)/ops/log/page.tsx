import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { statusLabel } from "@/components/ui/status-badge";
import { toId } from "@/lib/auth/access";
import { requireOperator } from "@/lib/ops/access";
import { listOperatorEvents } from "@/lib/ops/events";

export const metadata: Metadata = { title: "Operator log" };

const PAGE_SIZE = 50;

type LoggedDomain = { id: number; hostname: string | null; result: string; status?: string };

/** What an operator action did, in one line per domain (from the event's JSON data). */
function domainsOf(data: unknown): LoggedDomain[] {
  const list = (data as { domains?: unknown } | null)?.domains;
  return Array.isArray(list) ? (list as LoggedDomain[]) : [];
}

/** What an edge node action was called on the operator log. */
const EDGE_ACTIONS: Record<string, string> = {
  "edge.node.add": "Edge node added",
  "edge.node.revoke": "Edge node revoked",
  "edge.node.drain": "Edge node drained",
  "edge.node.undrain": "Edge node undrained",
};

/** The edge node an operator action was about (from the event's JSON data), or null. */
function nodeOf(data: unknown): string | null {
  const node = (data as { node?: { name?: unknown } } | null)?.node;
  return node && typeof node.name === "string" ? node.name : null;
}

/** One logged Verify now result in the words `/ops` uses for it. */
function describeResult(d: LoggedDomain): string {
  switch (d.result) {
    case "checked":
      return `checked (${statusLabel(d.status ?? "")})`;
    case "too-soon":
      return "not checked (checked moments ago)";
    case "in-progress":
      return "not checked (another check was running)";
    case "not-found":
      return "removed meanwhile";
    case "failed":
      return "the check failed";
    default:
      return d.result;
  }
}

/** The operator log (docs/product.md §3.2): every operator action, newest first, 50 per page. 404 for anyone but an operator. */
export default async function OperatorLogPage({ searchParams }: { searchParams: Promise<{ before?: string }> }) {
  await requireOperator();
  const before = toId((await searchParams).before);
  const fetched = await listOperatorEvents({ beforeId: before, limit: PAGE_SIZE + 1 });
  const rows = fetched.slice(0, PAGE_SIZE);
  const older = fetched.length > PAGE_SIZE ? rows[rows.length - 1].id : null;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <h1 className="text-2xl font-semibold tracking-tight">Operator log</h1>
        <Link href="/ops" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
          ← Operations
        </Link>
      </div>
      {rows.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{before ? "No older operator actions." : "No operator actions yet."}</p>
      ) : (
        <ol className="divide-y divide-slate-100 dark:divide-slate-800 rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
          {rows.map((r) => (
            <li key={r.id} className="space-y-1 px-4 py-3" data-testid="operator-event">
              <p className="flex flex-wrap gap-x-3 gap-y-0.5 text-sm">
                <span className="font-medium text-slate-900 dark:text-slate-100">
                  {r.action === "ops.verify" ? "Verify now" : (EDGE_ACTIONS[r.action] ?? r.action)}
                </span>
                {nodeOf(r.data) ? <span className="font-mono text-slate-800 dark:text-slate-200">{nodeOf(r.data)}</span> : null}
                <span className="[overflow-wrap:anywhere] text-slate-700 dark:text-slate-300">{r.operatorEmail}</span>
                <span className="whitespace-nowrap font-mono text-xs leading-5 text-slate-500 dark:text-slate-400">
                  {formatUtc(r.createdAt)}
                </span>
              </p>
              <ul className="space-y-0.5 text-xs text-slate-600 dark:text-slate-400">
                {domainsOf(r.data).map((d) => (
                  <li key={d.id} className="[overflow-wrap:anywhere]">
                    <span className="font-medium text-slate-800 dark:text-slate-200">{d.hostname ?? `domain #${d.id}`}</span>:{" "}
                    {describeResult(d)}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
      {before || older ? (
        <div className="flex gap-4 text-sm">
          {before ? (
            <Link href="/ops/log" className="text-indigo-700 dark:text-indigo-300 hover:underline">
              ← Newest
            </Link>
          ) : null}
          {older ? (
            <Link href={`/ops/log?before=${older}`} className="text-indigo-700 dark:text-indigo-300 hover:underline">
              Older →
            </Link>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
