"use client";

import Link from "next/link";
import { StatusBadge } from "@/components/ui/status-badge";
import type { DomainDetailsData, DomainSummary } from "./domain-details-data";
import { DomainDetails, DomainDetailsView } from "./domain-details";
import { RemoveDomainButton } from "./remove-domain-button";
import { VerifyButton } from "./verify-button";

/**
 * One domain: its go-live status, "Verify now" and "Remove" for roles that may use them, and its details (records to
 * create, last check) — shown in place when the server sent them (`details`, short lists), else loaded when the reader
 * opens them (long lists: the page stays small, docs/product.md §3.5). A client component fed with plain data
 * (domain-details-data.ts), so a page of domains costs the server a few fields per domain, not a rendered tree.
 */
export function DomainPanel({
  domain,
  details,
  canVerify,
  canManage = false,
}: {
  domain: DomainSummary;
  details?: DomainDetailsData;
  canVerify: boolean;
  canManage?: boolean;
}) {
  return (
    <article
      data-testid={`domain-${domain.hostname}`}
      className="space-y-4 rounded-xl bg-white dark:bg-slate-900 p-5 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700"
    >
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="break-all text-base font-semibold">{domain.hostnameUnicode}</h3>
            <StatusBadge status={domain.status} />
            {domain.flagged ? (
              <span className="rounded-full bg-red-600 px-2 py-0.5 text-xs font-semibold text-white">Stopped pointing at the edge</span>
            ) : null}
          </div>
          {domain.hostnameUnicode !== domain.hostname ? (
            <p className="font-mono text-xs text-slate-500 dark:text-slate-400">{domain.hostname}</p>
          ) : null}
          <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
            {domain.checkedLine}
            {domain.historyHref ? (
              <>
                {" · "}
                <Link href={domain.historyHref} className="text-indigo-700 underline dark:text-indigo-300">
                  Check history
                </Link>
                {" · "}
                <Link href={`${domain.historyHref}#https-heading`} className="text-indigo-700 underline dark:text-indigo-300">
                  HTTPS
                </Link>
              </>
            ) : null}
          </p>
        </div>
        <div className="flex items-start gap-3">
          {canVerify ? <VerifyButton domainId={domain.id} /> : null}
          {canManage ? <RemoveDomainButton domainId={domain.id} hostname={domain.hostnameUnicode} live={domain.status === "live"} /> : null}
        </div>
      </header>
      {details ? <DomainDetailsView details={details} /> : <DomainDetails domainId={domain.id} version={domain.version} />}
    </article>
  );
}
