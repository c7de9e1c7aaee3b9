import { settings } from "@/lib/config";

export type ExpectedRecord = { type: "CNAME" | "A" | "AAAA" | "ALIAS" | "TXT"; name: string; value: string; note?: string };

/**
 * The DNS records a customer creates to take a domain live (docs/product.md §3.5): a CNAME to `<hostname>.<EDGE_CNAME_SUFFIX>`
 * for a subdomain; for an apex, A records to every `EDGE_IPV4` (AAAA to `EDGE_IPV6` when set), or an ALIAS/ANAME to
 * the CNAME target; plus `TXT _edge-challenge.<hostname>` when ownership must be proven. Names are A-labels.
 */
export function expectedRecords(domain: { hostname: string; isApex: boolean; ownershipRequired: boolean; verificationToken: string }): {
  records: ExpectedRecord[];
  alternatives: ExpectedRecord[];
  cnameTarget: string;
} {
  const { edgeCnameSuffix, edgeIpv4, edgeIpv6 } = settings();
  const cnameTarget = `${domain.hostname}.${edgeCnameSuffix}`;
  const records: ExpectedRecord[] = [];
  const alternatives: ExpectedRecord[] = [];
  if (domain.isApex) {
    for (const ip of edgeIpv4) records.push({ type: "A", name: domain.hostname, value: ip });
    for (const ip of edgeIpv6) records.push({ type: "AAAA", name: domain.hostname, value: ip });
    alternatives.push({
      type: "ALIAS",
      name: domain.hostname,
      value: cnameTarget,
      note: "at DNS providers that offer ALIAS/ANAME or CNAME flattening",
    });
  } else {
    records.push({ type: "CNAME", name: domain.hostname, value: cnameTarget });
  }
  if (domain.ownershipRequired) {
    records.push({
      type: "TXT",
      name: `_edge-challenge.${domain.hostname}`,
      value: domain.verificationToken,
      note: "proves you own this hostname: it already pointed at the edge when it was added",
    });
  }
  return { records, alternatives, cnameTarget };
}
