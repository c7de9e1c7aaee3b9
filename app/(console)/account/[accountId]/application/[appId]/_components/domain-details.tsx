"use client";

import { Fragment, useEffect, useRef, useState, useTransition } from "react";
import { DnsRecordTable } from "@/components/dns-record-table";
import { loadDomainDetailsAction, type DomainDetailsState } from "../details-actions";
import type { DomainDetailsData } from "./domain-details-data";

/** What one domain needs to go live: the records to create (each with a copy button) and what the last check found. */
export function DomainDetailsView({ details }: { details: DomainDetailsData }) {
  const { records, lastCheck } = details;
  return (
    <>
      <div className="space-y-3">
        <DnsRecordTable
          caption={
            details.live
              ? "DNS records (in place)"
              : records.length > 1
                ? "To go live, create these records"
                : "To go live, create this record"
          }
          records={records}
        />
        {details.isApex ? (
          <>
            <p className="text-xs text-slate-600 dark:text-slate-400">
              {details.hostnameUnicode} is an apex domain: it cannot hold a CNAME. Create the {records.length > 1 ? "records" : "record"}{" "}
              above, or instead:
            </p>
            <DnsRecordTable caption="Alternative" records={details.alternatives} />
          </>
        ) : null}
      </div>
      {details.kept ? (
        <p className="rounded-lg bg-amber-50 dark:bg-amber-950/40 p-3 text-sm text-amber-900 dark:text-amber-100 ring-1 ring-inset ring-amber-200 dark:ring-amber-900">
          {details.kept}
        </p>
      ) : null}
      {lastCheck ? (
        <section aria-label="Last check" className="rounded-lg bg-slate-50 dark:bg-slate-800/50 p-3 text-sm">
          <p
            className={
              lastCheck.live ? "mb-2 text-emerald-800 dark:text-emerald-200" : "mb-2 font-medium text-slate-900 dark:text-slate-100"
            }
          >
            {lastCheck.sentence}
          </p>
          {lastCheck.from ? <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">{lastCheck.from}</p> : null}
          <dl className="grid grid-cols-[5.5rem_1fr] gap-x-3 gap-y-1 font-mono text-xs sm:grid-cols-[7rem_1fr]">
            {lastCheck.rows.map((row) => (
              <Fragment key={row.term}>
                <dt className="font-sans text-slate-500 dark:text-slate-400">{row.term}</dt>
                <dd className="break-all">{row.value}</dd>
              </Fragment>
            ))}
          </dl>
          {lastCheck.ttl ? (
            <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
              TTL {lastCheck.ttl} s: after you change the record, resolvers may keep the old answer for up to {lastCheck.ttl} s.
            </p>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

/**
 * The details of one domain on a long list, fetched from the server the first time they are opened, and again while
 * open when the domain's status or last check changes (`version`, e.g. after "Verify now").
 */
export function DomainDetails({ domainId, version }: { domainId: number; version: string }) {
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState<DomainDetailsState | null>(null);
  const [pending, startTransition] = useTransition();
  const requested = useRef<string | null>(null);

  useEffect(() => {
    if (!open || requested.current === version) return;
    requested.current = version;
    const form = new FormData();
    form.set("domainId", String(domainId));
    startTransition(async () => {
      const state = await loadDomainDetailsAction({}, form);
      startTransition(() => setLoaded(state));
    });
  }, [open, version, domainId]);

  return (
    <details className="space-y-3" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary className="cursor-pointer text-sm font-semibold text-indigo-700 dark:text-indigo-300 hover:underline">
        DNS records and last check
      </summary>
      {loaded?.error ? <p className="text-sm text-red-700 dark:text-red-300">{loaded.error}</p> : null}
      {loaded?.details ? (
        <div className="space-y-4">
          <DomainDetailsView details={loaded.details} />
        </div>
      ) : null}
      {pending && !loaded ? <p className="text-xs text-slate-500 dark:text-slate-400">Loading…</p> : null}
    </details>
  );
}
