import Link from "next/link";
import { DnsRecordTable } from "@/components/dns-record-table";
import { StatusBadge } from "@/components/ui/status-badge";
import { expectedRecords } from "@/lib/domains/records";
import type { DomainRow } from "@/db/queries/applications";
import { listRecentChecks, type DnsCheckRow } from "@/db/queries/domains";
import type { CheckRecords } from "@/lib/dns/go-live";
import { RemoveDomainButton } from "./remove-domain-button";
import { VerifyButton } from "./verify-button";
import { formatUtc } from "@/components/ui/format";

const time = (d: Date) => formatUtc(d);
/** Starts an explanation with a capital, unless it starts with a hostname (`www.example.com points to …`). */
const sentence = (s: string) => (/^[a-z]+\s/.test(s) ? s.charAt(0).toUpperCase() + s.slice(1) : s);

/** node's resolver error codes in DNS words. */
const ERROR_WORDS: Record<string, string> = {
  ESERVFAIL: "SERVFAIL",
  EREFUSED: "REFUSED",
  ETIMEOUT: "timed out",
  ECONNREFUSED: "resolver unreachable",
};

/** The "Found" line of a check: the CNAME chain as resolved, or why there was nothing to follow. */
function foundLine(hostname: string, check: DnsCheckRow, found: CheckRecords): string {
  if (check.outcome === "error") return `no answer (${ERROR_WORDS[check.errorCode ?? ""] ?? check.errorCode ?? check.reason})`;
  if (check.reason === "nxdomain") return `${hostname} does not exist (NXDOMAIN)`;
  const chain = [hostname, ...found.chain].join(" → ");
  if (check.reason === "dangling") return `${chain} (does not exist)`;
  return found.chain.length === 0 ? `${chain} (no CNAME)` : chain;
}

/** One domain: its go-live status, the records to create, and what the last check found next to them. */
export async function DomainPanel({
  domain,
  lastCheck,
  canVerify,
  canManage = false,
}: {
  domain: DomainRow;
  lastCheck: DnsCheckRow | undefined;
  canVerify: boolean;
  canManage?: boolean;
}) {
  const { records, alternatives, cnameTarget } = expectedRecords(domain);
  const keptThroughError = lastCheck && lastCheck.outcome === "error" && domain.status !== "error";
  // After a transient error, show what the last answered check found (the error itself found nothing).
  const shown = keptThroughError
    ? (await listRecentChecks({ domainId: domain.id, limit: 50 })).find((c) => c.outcome !== "error")
    : lastCheck;
  const found = shown?.records as CheckRecords | undefined;
  return (
    <article data-testid={`domain-${domain.hostname}`} className="space-y-4 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="break-all text-base font-semibold">{domain.hostnameUnicode}</h3>
            <StatusBadge status={domain.status} />
            {domain.flagged ? (
              <span className="rounded-full bg-red-600 px-2 py-0.5 text-xs font-semibold text-white">Stopped pointing at the edge</span>
            ) : null}
          </div>
          {domain.hostnameUnicode !== domain.hostname ? <p className="font-mono text-xs text-slate-500">{domain.hostname}</p> : null}
          <p className="mt-1 text-xs text-slate-500">
            {domain.lastCheckedAt ? `Last checked ${time(domain.lastCheckedAt)}` : "Never checked"}
            {lastCheck ? ` via ${lastCheck.resolver} in ${lastCheck.durationMs} ms` : ""}
            {lastCheck ? (
              <>
                {" · "}
                <Link
                  href={`/account/${domain.accountId}/application/${domain.applicationId}/domain/${domain.id}`}
                  className="text-indigo-700 hover:underline"
                >
                  Check history
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

      {
        <div className="space-y-3">
          <DnsRecordTable
            caption={
              domain.status === "live"
                ? "DNS records (in place)"
                : records.length > 1
                  ? "To go live, create these records"
                  : "To go live, create this record"
            }
            records={records}
          />
          {domain.isApex ? (
            <>
              <p className="text-xs text-slate-600">
                {domain.hostnameUnicode} is an apex domain: it cannot hold a CNAME. Create the {records.length > 1 ? "records" : "record"}{" "}
                above, or instead:
              </p>
              <DnsRecordTable caption="Alternative" records={alternatives} />
            </>
          ) : null}
        </div>
      }

      {keptThroughError ? (
        <p className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
          {sentence((lastCheck.records as CheckRecords).explanation)} The status is kept from the last successful check
          {domain.lastSuccessAt ? ` at ${time(domain.lastSuccessAt)}` : ""}: a DNS error never changes a known status.
        </p>
      ) : null}
      {found && shown ? (
        <section aria-label="Last check" className="rounded-lg bg-slate-50 p-3 text-sm">
          <p className={shown.outcome === "live" ? "mb-2 text-emerald-800" : "mb-2 font-medium text-slate-900"}>
            {sentence(found.explanation)}
          </p>
          {shown !== lastCheck ? (
            <p className="mb-2 text-xs text-slate-500">Found by the last successful check, {time(shown.checkedAt)}:</p>
          ) : null}
          <dl className="grid grid-cols-[5.5rem_1fr] gap-x-3 gap-y-1 font-mono text-xs sm:grid-cols-[7rem_1fr]">
            <dt className="font-sans text-slate-500">Found</dt>
            <dd className="break-all">{foundLine(domain.hostname, shown, found)}</dd>
            {/* Addresses were asked unless the resolver failed, the name does not exist, or the chain reached the edge. */}
            {shown.outcome !== "error" && !["nxdomain", "dangling"].includes(shown.reason) && !found.chain.includes(cnameTarget) ? (
              <>
                <dt className="font-sans text-slate-500">A</dt>
                <dd className="break-all">{found.a.length ? found.a.join(", ") : "none"}</dd>
                <dt className="font-sans text-slate-500">AAAA</dt>
                <dd className="break-all">{found.aaaa.length ? found.aaaa.join(", ") : "none"}</dd>
              </>
            ) : null}
            {domain.ownershipRequired ? (
              <>
                <dt className="font-sans text-slate-500">TXT challenge</dt>
                <dd className="break-all">{found.txt.length ? found.txt.join(", ") : "none"}</dd>
              </>
            ) : null}
            <dt className="font-sans text-slate-500">Expected</dt>
            <dd className="break-all">
              {records.map((r) => (r.name === domain.hostname ? `${r.type} ${r.value}` : `${r.type} ${r.name} ${r.value}`)).join(", ")}
            </dd>
          </dl>
          {found.ttl ? (
            <p className="mt-2 text-xs text-slate-500">
              TTL {found.ttl} s: after you change the record, resolvers may keep the old answer for up to {found.ttl} s.
            </p>
          ) : null}
        </section>
      ) : null}
    </article>
  );
}
