import "server-only";
import { formatUtc } from "@/components/ui/format";
import { expectedRecords, type ExpectedRecord } from "@/lib/domains/records";
import type { CheckRecords } from "@/lib/dns/go-live";
import type { DomainRow } from "@/lib/applications/queries";
import { listRecentChecks, type DnsCheckRow } from "@/lib/domains/queries";

// What a domain panel shows, made on the server as plain data: the panel itself is a client component (DomainPanel),
// so a page of domains sends these few fields instead of a rendered tree per domain, and the details loaded on
// demand (details-actions.tsx) are the same data.

/** A domain's panel header: its names, status, flag, the "Last checked" line and the link to its check history. */
export type DomainSummary = {
  id: number;
  hostname: string;
  hostnameUnicode: string;
  status: DomainRow["status"];
  flagged: boolean;
  /** `Last checked 2026-11-30 16:47:46 UTC via 127.0.0.1:53 in 12 ms`, or `Never checked`. */
  checkedLine: string;
  /** The domain's check history page, once it has been checked. */
  historyHref: string | null;
  /** Changes whenever the status or the last check does (reloads opened details). */
  version: string;
};

/** The records to create and what the last check found (docs/product.md §3.5), as the panel words them. */
export type DomainDetailsData = {
  hostnameUnicode: string;
  isApex: boolean;
  live: boolean;
  records: ExpectedRecord[];
  alternatives: ExpectedRecord[];
  /** After a transient DNS error on a domain with a known status: why the status did not change. */
  kept: string | null;
  lastCheck: {
    sentence: string;
    live: boolean;
    /** When the shown check is not the newest (the newest was an error): `Found by the last successful check, <time>:`. */
    from: string | null;
    rows: { term: string; value: string }[];
    ttl: number | null;
  } | null;
};

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

/** The header of a domain's panel; `lastCheck` (its newest check, when known) adds the resolver and duration. */
export function domainSummaryOf(domain: DomainRow, lastCheck?: DnsCheckRow): DomainSummary {
  const checked = domain.lastCheckedAt ? `Last checked ${time(domain.lastCheckedAt)}` : "Never checked";
  return {
    id: domain.id,
    hostname: domain.hostname,
    hostnameUnicode: domain.hostnameUnicode,
    status: domain.status,
    flagged: domain.flagged,
    checkedLine: lastCheck ? `${checked} via ${lastCheck.resolver} in ${lastCheck.durationMs} ms` : checked,
    historyHref: domain.lastCheckedAt ? `/account/${domain.accountId}/application/${domain.applicationId}/domain/${domain.id}` : null,
    version: `${domain.status}:${domain.flagged ? 1 : 0}:${domain.lastCheckedAt?.getTime() ?? 0}`,
  };
}

/**
 * The details of a domain: records to create (lib/domains/records.ts) and the last check's findings with the sentence
 * on what to change. `lastCheck` is the domain's newest check; after a transient error on a domain with a known status
 * the last answered check is shown instead (the error itself found nothing), with a note that the status is kept.
 */
export async function domainDetailsOf(domain: DomainRow, lastCheck: DnsCheckRow | undefined): Promise<DomainDetailsData> {
  const { records, alternatives, cnameTarget } = expectedRecords(domain);
  const keptThroughError = !!lastCheck && lastCheck.outcome === "error" && domain.status !== "error";
  const shown = keptThroughError
    ? (await listRecentChecks({ domainId: domain.id, limit: 50 })).find((c) => c.outcome !== "error")
    : lastCheck;
  const found = shown?.records as CheckRecords | undefined;
  let details: DomainDetailsData["lastCheck"] = null;
  if (found && shown) {
    const rows = [{ term: "Found", value: foundLine(domain.hostname, shown, found) }];
    // Addresses were asked unless the resolver failed, the name does not exist, or the chain reached the edge.
    if (shown.outcome !== "error" && !["nxdomain", "dangling"].includes(shown.reason) && !found.chain.includes(cnameTarget)) {
      rows.push(
        { term: "A", value: found.a.length ? found.a.join(", ") : "none" },
        { term: "AAAA", value: found.aaaa.length ? found.aaaa.join(", ") : "none" },
      );
    }
    if (domain.ownershipRequired) rows.push({ term: "TXT challenge", value: found.txt.length ? found.txt.join(", ") : "none" });
    rows.push({
      term: "Expected",
      value: records.map((r) => (r.name === domain.hostname ? `${r.type} ${r.value}` : `${r.type} ${r.name} ${r.value}`)).join(", "),
    });
    details = {
      sentence: sentence(found.explanation),
      live: shown.outcome === "live",
      from: shown !== lastCheck ? `Found by the last successful check, ${time(shown.checkedAt)}:` : null,
      rows,
      ttl: found.ttl || null,
    };
  }
  return {
    hostnameUnicode: domain.hostnameUnicode,
    isApex: domain.isApex,
    live: domain.status === "live",
    records,
    alternatives,
    kept:
      keptThroughError && lastCheck
        ? `${sentence((lastCheck.records as CheckRecords).explanation)} The status is kept from the last successful check${
            domain.lastSuccessAt ? ` at ${time(domain.lastSuccessAt)}` : ""
          }: a DNS error never changes a known status.`
        : null,
    lastCheck: details,
  };
}
