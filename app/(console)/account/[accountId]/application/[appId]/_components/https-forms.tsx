"use client";

import { useActionState } from "react";
import {
  removeCertificateAction,
  renewCertificateAction,
  setRedirectHttpsAction,
  uploadCertificateAction,
  type HttpsActionState,
} from "../https-actions";

const button =
  "rounded-md bg-white dark:bg-slate-900 px-3 py-1.5 text-sm font-semibold text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50 disabled:cursor-not-allowed disabled:text-slate-400 dark:disabled:text-slate-500";

function Message({ state }: { state: HttpsActionState }) {
  if (!state.message) return null;
  return (
    <p
      role="status"
      key={state.at}
      className={state.ok ? "text-xs text-emerald-700 dark:text-emerald-300" : "text-xs text-red-600 dark:text-red-400"}
    >
      {state.message}
    </p>
  );
}

/** "Renew now" (owners and admins; rate-limited on the server). */
export function RenewButton({ domainId, disabled }: { domainId: number; disabled?: boolean }) {
  const [state, action, pending] = useActionState<HttpsActionState, FormData>(renewCertificateAction, {});
  return (
    <form action={action} className="flex flex-col items-start gap-1">
      <input type="hidden" name="domainId" value={domainId} />
      <button type="submit" disabled={pending || disabled} className={button}>
        {pending ? "Queuing…" : "Renew now"}
      </button>
      <Message state={state} />
    </form>
  );
}

/** Removes the own certificate (back to automatic certificates). */
export function RemoveCertificateButton({ domainId }: { domainId: number }) {
  const [state, action, pending] = useActionState<HttpsActionState, FormData>(removeCertificateAction, {});
  return (
    <form action={action} className="flex flex-col items-start gap-1">
      <input type="hidden" name="domainId" value={domainId} />
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Removing…" : "Remove own certificate"}
      </button>
      <Message state={state} />
    </form>
  );
}

/**
 * Upload of an own certificate: PEM chain and key; refusals appear under their field, the chain stays in its field
 * after a refusal, the key field is never filled back.
 */
export function UploadCertificateForm({ domainId, hostname }: { domainId: number; hostname: string }) {
  const [state, action, pending] = useActionState<HttpsActionState, FormData>(uploadCertificateAction, {});
  const field =
    "block w-full rounded-md border-0 px-3 py-2 font-mono text-xs ring-1 ring-inset ring-slate-300 dark:ring-slate-600 focus:ring-2 focus:ring-indigo-600";
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="domainId" value={domainId} />
      <div>
        <label htmlFor="public_certificates" className="block text-sm font-medium">
          Certificate chain (PEM)
        </label>
        <p className="text-xs text-slate-500 dark:text-slate-400">The certificate for {hostname} and its intermediates, in any order.</p>
        <textarea
          key={state.at ?? 0}
          defaultValue={state.chain ?? ""}
          id="public_certificates"
          name="public_certificates"
          rows={6}
          required
          aria-invalid={state.fieldErrors?.public_certificates ? true : undefined}
          aria-describedby={state.fieldErrors?.public_certificates ? "public_certificates-error" : undefined}
          className={field}
          placeholder="-----BEGIN CERTIFICATE-----"
        />
        {state.fieldErrors?.public_certificates ? (
          <p id="public_certificates-error" className="mt-1 text-xs text-red-600 dark:text-red-400">
            {state.fieldErrors.public_certificates}
          </p>
        ) : null}
      </div>
      <div>
        <label htmlFor="private_key" className="block text-sm font-medium">
          Private key (PEM, unencrypted)
        </label>
        <textarea
          id="private_key"
          name="private_key"
          rows={4}
          required
          autoComplete="off"
          aria-invalid={state.fieldErrors?.private_key ? true : undefined}
          aria-describedby={state.fieldErrors?.private_key ? "private_key-error" : undefined}
          className={field}
          placeholder="-----BEGIN PRIVATE KEY-----"
        />
        {state.fieldErrors?.private_key ? (
          <p id="private_key-error" className="mt-1 text-xs text-red-600 dark:text-red-400">
            {state.fieldErrors.private_key}
          </p>
        ) : null}
      </div>
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Checking…" : "Upload certificate"}
      </button>
      <Message state={state} />
    </form>
  );
}

/** The environment's "Redirect HTTP to HTTPS" switch (owners and admins). */
export function RedirectHttpsForm({ environmentId, on }: { environmentId: number; on: boolean }) {
  const [state, action, pending] = useActionState<HttpsActionState, FormData>(setRedirectHttpsAction, {});
  return (
    <form action={action} className="flex flex-col items-start gap-1">
      <input type="hidden" name="environmentId" value={environmentId} />
      <input type="hidden" name="on" value={on ? "false" : "true"} />
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Saving…" : on ? "Stop redirecting HTTP to HTTPS" : "Redirect HTTP to HTTPS"}
      </button>
      <Message state={state} />
    </form>
  );
}
