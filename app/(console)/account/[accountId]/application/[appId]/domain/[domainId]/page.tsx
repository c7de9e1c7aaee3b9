import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { statusLabel } from "@/components/ui/status-badge";
import { parseId, requireApplication } from "@/lib/auth/access";
import { CHECKS_KEPT, type CheckRecords } from "@/lib/dns/go-live";
import { getApplicationDomain } from "@/lib/domains/queries";
import { listRecentChecks } from "@/lib/domains/queries";
import { formatUtc } from "@/components/ui/format";
import { can } from "@/lib/auth/permissions";
import { httpsStatus } from "@/lib/https/store";
import { HttpsPanel } from "../../_components/https-panel";

export const metadata: Metadata = { title: "Check history" };

const time = (d: Date) => formatUtc(d);

/**
 * The last 50 go-live checks of one domain (docs/product.md §3.5), newest first: time, status, what was found, resolver and
 * duration; a check that changed the status is highlighted. Any member may read it; the account is derived from
 * the application row and the domain must belong to that application (else 404).
 */
export default async function DomainChecksPage({ params }: { params: Promise<{ accountId: string; appId: string; domainId: string }> }) {
  const { accountId, appId, domainId } = await params;
  const { application, account, role } = await requireApplication(parseId(accountId), parseId(appId));
  const domain = await getApplicationDomain({ applicationId: application.id, domainId: parseId(domainId) });
  if (!domain) notFound();
  const checks = await listRecentChecks({ domainId: domain.id, limit: CHECKS_KEPT });
  const https = await httpsStatus(domain); // docs/product.md §9
  return (
    <div className="space-y-4">
      <div>
        <Link
          href={`/account/${account.id}/application/${application.id}`}
          className="text-sm text-slate-500 dark:text-slate-400 hover:underline"
        >
          ← {application.name}
        </Link>
        <h1 className="break-all text-2xl font-semibold tracking-tight">Check history of {domain.hostnameUnicode}</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          The last {CHECKS_KEPT} checks, newest first. Rows where the status changed are highlighted.
        </p>
      </div>
      <HttpsPanel domainId={domain.id} status={https} canManage={can(role, "https.manage")} />
      {checks.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Not checked yet.</p>
      ) : (
        <div className="relative overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
          <table className="min-w-full text-left text-sm">
            <caption className="sr-only">Checks of {domain.hostname}</caption>
            <thead className="bg-slate-50 dark:bg-slate-800/50 text-xs text-slate-500 dark:text-slate-400">
              <tr>
                <th className="px-3 py-2">Time</th>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">Found</th>
                <th className="px-3 py-2">Resolver</th>
                <th className="px-3 py-2 text-right">Duration</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {checks.map((check, i) => {
                const older = checks[i + 1];
                // The oldest row's predecessor is "pending" (never checked) unless older checks were pruned.
                const before = older?.status ?? (checks.length < CHECKS_KEPT ? "pending" : null);
                const changed = before !== null && before !== check.status;
                const found = check.records as CheckRecords;
                return (
                  <tr
                    key={check.id}
                    data-changed={changed ? "true" : undefined}
                    className={changed ? "bg-amber-50 dark:bg-amber-950/40" : undefined}
                  >
                    <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">{time(check.checkedAt)}</td>
                    <td className="whitespace-nowrap px-3 py-2">
                      <span className={changed ? "font-semibold" : undefined}>{statusLabel(check.status)}</span>
                      {check.outcome !== check.status ? (
                        <span className="text-xs text-slate-500 dark:text-slate-400"> (check: {statusLabel(check.outcome)})</span>
                      ) : null}
                      {changed && before ? (
                        <span className="block text-xs text-amber-800 dark:text-amber-200">was {statusLabel(before)}</span>
                      ) : null}
                    </td>
                    <td className="px-3 py-2 font-mono text-xs break-all">
                      {found.chain.length ? `CNAME ${found.chain.join(" → ")}; ` : ""}A {found.a.join(", ") || "none"}; AAAA{" "}
                      {found.aaaa.join(", ") || "none"}
                      {check.errorCode ? `; ${check.errorCode}` : ""}
                    </td>
                    <td className="px-3 py-2 font-mono text-xs">{check.resolver}</td>
                    <td className="px-3 py-2 text-right font-mono text-xs">{check.durationMs} ms</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
