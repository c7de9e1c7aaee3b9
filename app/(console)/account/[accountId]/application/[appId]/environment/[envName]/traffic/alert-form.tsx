"use client";

import { useActionState } from "react";
import { setErrorAlertAction, type AlertActionState } from "./actions";

/** The environment's 5xx alert threshold (owners and admins): a percent, or empty for off. */
export function ErrorAlertForm({ environmentId, threshold }: { environmentId: number; threshold: number | null }) {
  const [state, action, pending] = useActionState<AlertActionState, FormData>(setErrorAlertAction, {});
  return (
    <form action={action} className="flex flex-wrap items-end gap-2 text-sm">
      <input type="hidden" name="environmentId" value={environmentId} />
      <label htmlFor={`alert-threshold-${environmentId}`} className="w-full text-slate-700 dark:text-slate-300">
        Mail owners and admins when 5xx answers over 5 minutes reach (%)
      </label>
      <input
        id={`alert-threshold-${environmentId}`}
        name="threshold"
        inputMode="numeric"
        defaultValue={threshold ?? ""}
        placeholder="off"
        className="w-28 rounded-md border border-slate-300 dark:border-slate-600 px-2 py-1"
      />
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-800 dark:bg-slate-700 px-3 py-1 font-medium text-white disabled:opacity-60"
      >
        {pending ? "Saving…" : "Save alert"}
      </button>
      {state.message ? (
        <p role="status" className={state.ok ? "text-emerald-700 dark:text-emerald-300" : "text-rose-700 dark:text-rose-300"}>
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
