import type { Metadata } from "next";
import Link from "next/link";
import { parseId, requireAccount, ForbiddenError, toId } from "@/lib/auth/access";
import { listAuditEvents, listAuditFacets } from "@/lib/audit/queries";
import { FormMessage } from "@/components/ui/field";
import { formatUtc } from "@/components/ui/format";

export const metadata: Metadata = { title: "Audit log" };

const time = (d: Date) => formatUtc(d);

/** The account's audit log (owners and admins): who did what, when, to what; filters by actor and kind; pages of 50. */
export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string }>;
  searchParams: Promise<{ actor?: string; kind?: string; before?: string }>;
}) {
  const { accountId } = await params;
  const query = await searchParams;
  let access;
  try {
    access = await requireAccount(parseId(accountId), "audit.read", "read the audit log");
  } catch (error) {
    if (error instanceof ForbiddenError) return <FormMessage>{error.message}</FormMessage>;
    throw error;
  }
  const accountIdNum = access.account.id;
  const actor = query.actor === "platform" ? 0 : toId(query.actor);
  const kind = query.kind && /^[a-z][a-z0-9.-]{0,60}$/.test(query.kind) ? query.kind : null;
  const { rows, nextBefore } = await listAuditEvents({ accountId: accountIdNum, actor, kind, before: toId(query.before) });
  const facets = await listAuditFacets({ accountId: accountIdNum });
  const areas = [...new Set(facets.kinds.map((k) => k.split(".")[0]))];
  const qs = (extra: Record<string, string | null>) => {
    const p = new URLSearchParams();
    const merged = { actor: query.actor ?? null, kind, ...extra };
    for (const [k, v] of Object.entries(merged)) if (v) p.set(k, v);
    const s = p.toString();
    return s ? `?${s}` : "";
  };
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
      <form className="flex flex-wrap items-end gap-3" method="get">
        <div className="space-y-1">
          <label htmlFor="audit-actor" className="block text-sm font-medium">
            Actor
          </label>
          <select
            id="audit-actor"
            name="actor"
            defaultValue={query.actor ?? ""}
            className="rounded-md border-0 bg-white dark:bg-slate-900 px-3 py-2 text-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600"
          >
            <option value="">Everyone</option>
            {facets.actors.map((a) => (
              <option key={String(a.id)} value={a.id === null ? "platform" : String(a.id)}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <label htmlFor="audit-kind" className="block text-sm font-medium">
            Kind
          </label>
          <select
            id="audit-kind"
            name="kind"
            defaultValue={kind ?? ""}
            className="rounded-md border-0 bg-white dark:bg-slate-900 px-3 py-2 text-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600"
          >
            <option value="">All kinds</option>
            {areas.map((area) => (
              <optgroup key={area} label={area}>
                <option value={area}>{area}: all</option>
                {facets.kinds
                  .filter((k) => k.startsWith(`${area}.`))
                  .map((k) => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
        </div>
        <button
          type="submit"
          className="rounded-md bg-white dark:bg-slate-900 px-3 py-2 text-sm font-semibold ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50"
        >
          Filter
        </button>
        {query.actor || kind ? (
          <Link href={`/account/${accountIdNum}/audit`} className="py-2 text-sm text-indigo-700 dark:text-indigo-300 hover:underline">
            Clear
          </Link>
        ) : null}
      </form>
      {rows.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No events match.</p>
      ) : (
        <div className="relative overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
          <table className="w-full text-left text-sm">
            <thead className="bg-slate-50 dark:bg-slate-800/50 text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr>
                <th className="px-4 py-2 font-medium">When</th>
                <th className="px-4 py-2 font-medium">Who</th>
                <th className="px-4 py-2 font-medium">What</th>
                <th className="px-4 py-2 font-medium">Target</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className="border-t border-slate-100 dark:border-slate-800 align-top">
                  <td className="whitespace-nowrap px-4 py-2 font-mono text-xs text-slate-600 dark:text-slate-400">{time(r.createdAt)}</td>
                  <td className="px-4 py-2">{r.actorName}</td>
                  <td className="px-4 py-2 font-mono text-xs">{r.action}</td>
                  <td className="px-4 py-2">
                    <span className="break-all">{r.targetLabel}</span>
                    {r.data ? <AuditDetails data={r.data} /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="flex gap-4 text-sm">
        {query.before ? (
          <Link
            href={`/account/${accountIdNum}/audit${qs({ before: null })}`}
            className="text-indigo-700 dark:text-indigo-300 hover:underline"
          >
            ← Newest
          </Link>
        ) : null}
        {nextBefore ? (
          <Link
            href={`/account/${accountIdNum}/audit${qs({ before: String(nextBefore) })}`}
            className="text-indigo-700 dark:text-indigo-300 hover:underline"
          >
            Older →
          </Link>
        ) : null}
      </div>
    </div>
  );
}

/** An audit row's details as short "key: value" lines (long values cut), instead of raw JSON. */
function AuditDetails({ data }: { data: unknown }) {
  if (typeof data !== "object" || data === null) return null;
  const entries = Object.entries(data as Record<string, unknown>).slice(0, 8);
  const show = (value: unknown) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}…` : text;
  };
  return (
    <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 text-xs text-slate-500 dark:text-slate-400">
      {entries.map(([key, value]) => (
        <div key={key} className="contents">
          <dt className="font-medium">{key}</dt>
          <dd className="font-mono">{show(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
