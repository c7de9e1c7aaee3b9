import { accountMonthlyBandwidth } from "@/lib/traffic/query";
import { formatBytes } from "@/lib/traffic/format";

/**
 * Bandwidth of all the account's environments per month (UTC), newest first, from the hour rows (docs/traffic.md
 * "Pages"): bytes sent to clients, bytes received, requests. Server component; any member sees it.
 */
export async function AccountBandwidth({ accountId }: { accountId: number }) {
  const months = await accountMonthlyBandwidth(accountId, 6);
  return (
    <section aria-labelledby="bandwidth-heading" className="space-y-2">
      <h2 id="bandwidth-heading" className="text-lg font-semibold">
        Bandwidth per month
      </h2>
      {months.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No traffic through the edge yet.</p>
      ) : (
        <table className="w-full max-w-2xl text-left text-sm">
          <thead className="text-xs text-slate-500 dark:text-slate-400">
            <tr>
              <th className="py-1 pr-3">Month (UTC)</th>
              <th className="py-1 pr-3">Sent</th>
              <th className="py-1 pr-3">Received</th>
              <th className="py-1 pr-3">Requests</th>
            </tr>
          </thead>
          <tbody>
            {months.map((m) => (
              <tr key={m.month} className="border-t border-slate-100 dark:border-slate-800">
                <td className="py-1 pr-3">{m.month}</td>
                <td className="py-1 pr-3" data-testid={`bandwidth-${m.month}`}>
                  {formatBytes(m.bytesOut)}
                </td>
                <td className="py-1 pr-3">{formatBytes(m.bytesIn)}</td>
                <td className="py-1 pr-3">{m.requests.toLocaleString("en-US")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
