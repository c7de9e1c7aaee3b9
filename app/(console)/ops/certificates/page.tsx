import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { certificateOverview, type OpsCertificate } from "@/lib/https/ops";
import { ACME_OFF_MESSAGE, acmeEnabled } from "@/lib/https/settings";
import { requireOperator } from "@/lib/ops/access";

export const metadata: Metadata = { title: "Certificates" };

const STATE_LABELS = { none: "None yet", pending: "Ordering", issued: "Issued", failed: "Failed" } as const;

function CertificateTable({ rows, caption, withReason }: { rows: OpsCertificate[]; caption: string; withReason: boolean }) {
  return (
    <div className="relative overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
      <table className="min-w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50 dark:bg-slate-800/50 text-xs text-slate-500 dark:text-slate-400">
          <tr>
            <th className="px-3 py-2">Hostname</th>
            <th className="px-3 py-2">Account</th>
            <th className="px-3 py-2">Source</th>
            <th className="px-3 py-2">Expires</th>
            {withReason ? <th className="px-3 py-2">Reason</th> : <th className="px-3 py-2">Issuer</th>}
            <th className="px-3 py-2">Next try</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((c) => (
            <tr key={c.id}>
              <td className="break-all px-3 py-2 font-mono text-xs">{c.hostname}</td>
              <td className="px-3 py-2">{c.accountName}</td>
              <td className="px-3 py-2">{c.source === "custom" ? "own" : "ACME"}</td>
              <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">{c.notAfter ? formatUtc(c.notAfter) : "—"}</td>
              {withReason ? (
                <td className="px-3 py-2 text-xs">
                  <span className="font-semibold">{c.failureStep}</span>: {c.failureReason} ({c.attempts} attempt
                  {c.attempts === 1 ? "" : "s"})
                </td>
              ) : (
                <td className="px-3 py-2 text-xs">{c.issuer ?? "—"}</td>
              )}
              <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">{c.nextTryAt ? formatUtc(c.nextTryAt) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Certificates across all accounts (docs/product.md §9, operators only; 404 for anyone else): counts by state, the
 * certificates expiring within 14 days, and failed orders with their reasons and next try.
 */
export default async function CertificatesPage() {
  await requireOperator();
  const { counts, expiring, failed } = await certificateOverview();
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Certificates</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">HTTPS certificates of every domain, across all accounts.</p>
        </div>
        <Link href="/ops" className="text-sm font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
          ← Operations
        </Link>
      </div>
      {!acmeEnabled() ? (
        <p className="rounded-md bg-amber-50 dark:bg-amber-950/40 p-3 text-sm text-amber-900 dark:text-amber-100">{ACME_OFF_MESSAGE}</p>
      ) : null}
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="certificate-counts">
        {(Object.keys(STATE_LABELS) as (keyof typeof STATE_LABELS)[]).map((state) => (
          <div key={state} className="rounded-xl bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700">
            <dt className="text-xs text-slate-500 dark:text-slate-400">{STATE_LABELS[state]}</dt>
            <dd className="text-2xl font-semibold">{counts[state]}</dd>
          </div>
        ))}
      </dl>
      <section aria-labelledby="expiring-heading" className="space-y-2">
        <h2 id="expiring-heading" className="text-lg font-semibold">
          Expiring within 14 days
        </h2>
        {expiring.length ? (
          <CertificateTable rows={expiring} caption="Certificates expiring within 14 days" withReason={false} />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">None.</p>
        )}
      </section>
      <section aria-labelledby="failed-heading" className="space-y-2">
        <h2 id="failed-heading" className="text-lg font-semibold">
          Failed orders
        </h2>
        {failed.length ? (
          <CertificateTable rows={failed} caption="Failed certificate orders" withReason />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">None.</p>
        )}
      </section>
    </div>
  );
}
