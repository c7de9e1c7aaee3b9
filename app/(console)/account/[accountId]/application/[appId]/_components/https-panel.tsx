import { formatUtc } from "@/components/ui/format";
import type { HttpsStatus } from "@/lib/https/store";
import { RedirectHttpsForm, RemoveCertificateButton, RenewButton, UploadCertificateForm } from "./https-forms";

const STATE_LABELS: Record<HttpsStatus["state"], string> = {
  none: "No certificate yet",
  pending: "Ordering a certificate",
  issued: "Certificate issued",
  failed: "Certificate order failed",
};

const STEP_LABELS: Record<string, string> = {
  dns: "DNS records",
  caa: "CAA records",
  http: "HTTP check through the edge",
  nodes: "Edge nodes",
  acme: "Certificate authority",
  internal: "Console",
};

/**
 * A domain's HTTPS status (docs/product.md §9): the state, the issuer and expiry of the served certificate, or why the
 * last order failed (naming what to fix) and when the console tries next; while ACME is off, the sentence saying so.
 * Owners and admins (`canManage`) also get "Renew now", the own-certificate upload and its removal.
 */
export function HttpsPanel({ domainId, status, canManage }: { domainId: number; status: HttpsStatus; canManage: boolean }) {
  return (
    <section
      aria-labelledby="https-heading"
      className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
      data-testid="https-panel"
    >
      <h2 id="https-heading" className="text-lg font-semibold">
        HTTPS
      </h2>
      <p className="text-sm" data-testid="https-state">
        <span className="font-semibold">
          {status.state === "failed" && status.issuer
            ? "Renewal failed: the certificate below is still served"
            : STATE_LABELS[status.state]}
        </span>
        {status.source === "custom" ? <span className="text-slate-600 dark:text-slate-400"> (own certificate)</span> : null}
      </p>
      {status.issuer ? (
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500 dark:text-slate-400">Issuer</dt>
          <dd>{status.issuer}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Expires</dt>
          <dd className="font-mono text-xs">{status.notAfter ? formatUtc(status.notAfter) : "—"}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Names</dt>
          <dd className="break-all font-mono text-xs">{status.sans.join(", ") || "—"}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Serial</dt>
          <dd className="break-all font-mono text-xs">{status.serial ?? "—"}</dd>
        </dl>
      ) : null}
      {status.failureReason ? (
        <div
          className="rounded-md bg-red-50 dark:bg-red-950/40 p-3 text-sm text-red-800 dark:text-red-200"
          role="alert"
          data-testid="https-failure"
        >
          <p>
            <span className="font-semibold">{STEP_LABELS[status.failureStep ?? ""] ?? "Order"}:</span> {status.failureReason}
          </p>
          {status.nextTryAt ? <p className="mt-1 text-xs">Next try: {formatUtc(status.nextTryAt)}</p> : null}
        </div>
      ) : status.state !== "issued" && status.nextTryAt && status.acmeEnabled ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">Next try: {formatUtc(status.nextTryAt)}</p>
      ) : null}
      {status.acmeOffMessage && status.source === "acme" ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{status.acmeOffMessage}</p>
      ) : null}
      {!status.issuer ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Until a certificate is issued, HTTPS answers with the edge&apos;s default certificate.
        </p>
      ) : null}
      {canManage ? (
        <div className="space-y-4 border-t border-slate-100 dark:border-slate-800 pt-3">
          {status.source === "acme" ? (
            <div className="space-y-1">
              <RenewButton domainId={domainId} disabled={!status.acmeEnabled || status.renewBlockedUntil !== null} />
              {status.acmeEnabled && status.renewBlockedUntil ? (
                <p className="text-xs text-slate-500 dark:text-slate-400" data-testid="renew-blocked">
                  Renew now can be used again at {formatUtc(status.renewBlockedUntil)} (once per 5 minutes).
                </p>
              ) : null}
            </div>
          ) : (
            <RemoveCertificateButton domainId={domainId} />
          )}
          <details className="group space-y-3">
            <summary className="cursor-pointer list-none text-sm font-semibold text-indigo-700 dark:text-indigo-300 hover:underline">
              {status.source === "custom" ? "Replace the own certificate" : "Use an own certificate"}
            </summary>
            <UploadCertificateForm domainId={domainId} hostname={status.hostname} />
          </details>
        </div>
      ) : null}
    </section>
  );
}

/** The environment's "Redirect HTTP to HTTPS" setting (docs/product.md §9); the switch for owners and admins. */
export function RedirectHttpsPanel({ environmentId, on, canManage }: { environmentId: number; on: boolean; canManage: boolean }) {
  return (
    <section aria-labelledby="redirect-heading" className="space-y-2" data-testid="redirect-https">
      <h2 id="redirect-heading" className="text-lg font-semibold">
        HTTP to HTTPS
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {on
          ? "HTTP requests are redirected to HTTPS (308) for hostnames that have a certificate; ACME challenges are never redirected."
          : "HTTP requests are served over HTTP."}
      </p>
      {canManage ? <RedirectHttpsForm environmentId={environmentId} on={on} /> : null}
    </section>
  );
}
