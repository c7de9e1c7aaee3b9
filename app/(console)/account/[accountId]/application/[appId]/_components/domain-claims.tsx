import { DnsRecordTable } from "@/components/dns-record-table";
import { formatUtc } from "@/components/ui/format";
import { claimRecord, type DomainClaimRow } from "@/lib/edge/claims";
import { ClaimButtons } from "./claim-buttons";

/**
 * The environment's claims on hostnames another account holds (docs/product.md §3.5): for each, the TXT record to
 * publish (with a copy button), what the last check found, "Verify now" and "Withdraw" for roles that may.
 */
export function DomainClaims({ claims, canVerify, canManage }: { claims: DomainClaimRow[]; canVerify: boolean; canManage: boolean }) {
  if (claims.length === 0) return null;
  return (
    <section aria-labelledby="claims-heading" className="space-y-3">
      <h2 id="claims-heading" className="text-lg font-semibold">
        Claimed hostnames
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        These hostnames are used by another account. Whoever publishes the TXT record gets the hostname: once the console sees it, the
        hostname moves here and the other account is told by mail.
      </p>
      <ul className="space-y-3">
        {claims.map((claim) => {
          const r = claimRecord(claim);
          return (
            <li
              key={claim.id}
              data-testid={`claim-${claim.hostname}`}
              className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 shadow-sm ring-1 ring-amber-200 dark:ring-amber-900"
            >
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="min-w-0 space-y-1">
                  <p className="flex flex-wrap items-center gap-2">
                    <span className="break-all font-semibold text-slate-900 dark:text-slate-100">{claim.hostnameUnicode}</span>
                    <span className="rounded-full bg-amber-50 dark:bg-amber-950/40 px-2.5 py-0.5 text-xs font-semibold text-amber-900 dark:text-amber-100 ring-1 ring-inset ring-amber-300 dark:ring-amber-800">
                      Claim: waiting for the TXT proof
                    </span>
                  </p>
                  <p className="text-xs text-slate-500 dark:text-slate-400">
                    {claim.lastCheckedAt ? `Last checked ${formatUtc(claim.lastCheckedAt)}: ${claim.lastResult ?? ""}` : "Not checked yet."}
                  </p>
                </div>
                <ClaimButtons claimId={claim.id} hostname={claim.hostnameUnicode} canVerify={canVerify} canManage={canManage} />
              </div>
              <DnsRecordTable caption="Record to publish" records={[{ type: r.type, name: r.name, value: r.value }]} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
