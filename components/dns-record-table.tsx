import { CopyButton } from "@/components/ui/copy-button";

type Row = { type: string; name: string; value: string; note?: string };

/** DNS records as a customer enters them at their provider, each value with a copy button. */
export function DnsRecordTable({ records, caption }: { records: Row[]; caption: string }) {
  return (
    <div className="relative overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="mb-1 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
          {caption}
        </caption>
        <thead className="text-xs text-slate-500 dark:text-slate-400">
          <tr>
            <th className="whitespace-nowrap py-1 pr-4 font-medium">Type</th>
            <th className="py-1 pr-4 font-medium">Name</th>
            <th className="py-1 font-medium">Value</th>
          </tr>
        </thead>
        <tbody className="font-mono text-xs">
          {records.map((r) => (
            <tr key={`${r.type}-${r.name}-${r.value}`} className="border-t border-slate-100 dark:border-slate-800 align-top">
              <td className="whitespace-nowrap py-2 pr-4 font-semibold">{r.type}</td>
              <td className="py-2 pr-4">
                <span className="break-all">{r.name}</span>
              </td>
              <td className="py-2">
                <div className="flex items-start gap-2">
                  <span className="break-all">{r.value}</span>
                  <CopyButton value={r.value} />
                </div>
                {r.note ? <p className="mt-1 font-sans text-xs text-slate-500 dark:text-slate-400">{r.note}</p> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
