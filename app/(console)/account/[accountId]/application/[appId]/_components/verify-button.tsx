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
        className="rounded-md bg-white dark:bg-slate-900 px-3 py-1.5 text-sm font-semibold text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50 disabled:cursor-not-allowed disabled:text-slate-400 dark:disabled:text-slate-500"
      >
        {pending ? "Checking…" : "Verify now"}
      </button>
      {state.message ? (
        <p
          role="status"
          key={state.at}
          className={state.tone === "error" ? "text-xs text-red-600 dark:text-red-400" : "text-xs text-slate-600 dark:text-slate-400"}
        >
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
