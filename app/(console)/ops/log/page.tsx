import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { toId } from "@/lib/auth/access";
import { requireOperator } from "@/lib/ops/access";
import { listOperatorEvents } from "@/lib/ops/events";

export const metadata: Metadata = { title: "Operator log" };

type LoggedDomain = { id: number; hostname: string | null; result: string; status?: string };

/** What an operator action did, in one line per domain (from the event's JSON data). */
function domainsOf(data: unknown): LoggedDomain[] {
  const list = (data as { domains?: unknown } | null)?.domains;
  return Array.isArray(list) ? (list as LoggedDomain[]) : [];
}

/** The operator log (SPEC §3.2): every operator action, newest first, 50 per page. 404 for anyone but an operator. */
export default async function OperatorLogPage({ searchParams }: { searchParams: Promise<{ before?: string }> }) {
  await requireOperator();
  const before = toId((await searchParams).before);
  const rows = listOperatorEvents({ beforeId: before, limit: 50 });
  const older = rows.length === 50 ? rows[rows.length - 1].id : null;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <h1 className="text-2xl font-semibold tracking-tight">Operator log</h1>
        <Link href="/ops" className="text-sm font-medium text-indigo-700 hover:underline">
          ← Operations
        </Link>
      </div>
      {rows.length === 0 ? (
        <p className="text-sm text-slate-600">No operator actions yet.</p>
      ) : (
        <div className="relative overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200">
          <table className="w-full text-left text-sm">
            <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-4 py-2 font-medium">When</th>
                <th className="px-4 py-2 font-medium">Operator</th>
                <th className="px-4 py-2 font-medium">Action</th>
                <th className="px-4 py-2 font-medium">Domains</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className="border-t border-slate-100 align-top">
                  <td className="whitespace-nowrap px-4 py-2 font-mono text-xs text-slate-600">{formatUtc(r.createdAt)}</td>
                  <td className="px-4 py-2 [overflow-wrap:anywhere]">{r.operatorEmail}</td>
                  <td className="px-4 py-2 font-mono text-xs">{r.action === "ops.verify" ? "Verify now" : r.action}</td>
                  <td className="px-4 py-2">
                    <ul className="space-y-0.5 text-xs text-slate-600">
                      {domainsOf(r.data).map((d) => (
                        <li key={d.id} className="[overflow-wrap:anywhere]">
                          <span className="font-medium text-slate-800">{d.hostname ?? `#${d.id}`}</span>: {d.result}
                          {d.status ? ` (${d.status})` : ""}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {before || older ? (
        <div className="flex gap-4 text-sm">
          {before ? (
            <Link href="/ops/log" className="text-indigo-700 hover:underline">
              ← Newest
            </Link>
          ) : null}
          {older ? (
            <Link href={`/ops/log?before=${older}`} className="text-indigo-700 hover:underline">
              Older →
            </Link>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
