"use client";

import { useActionState } from "react";
import { verifyDomainAction, type VerifyState } from "../actions";

/** "Verify now" for one domain; shows the outcome or the refusal next to the button. */
export function VerifyButton({ domainId, disabled }: { domainId: number; disabled?: boolean }) {
  const [state, action, pending] = useActionState<VerifyState, FormData>(verifyDomainAction, {});
  return (
    <form action={action} className="flex flex-col items-end gap-1">
      <input type="hidden" name="domainId" value={domainId} />
      <button
        type="submit"
        disabled={pending || disabled}
        className="rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:cursor-not-allowed disabled:text-slate-400"
      >
        {pending ? "Checking…" : "Verify now"}
      </button>
      {state.message ? (
        <p role="status" key={state.at} className={state.tone === "error" ? "text-xs text-red-600" : "text-xs text-slate-600"}>
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
