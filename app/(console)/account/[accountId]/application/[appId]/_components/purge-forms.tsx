"use client";

import { useActionState, useState } from "react";
import { banAction, purgeAction, type PurgeActionState } from "../purge-actions";

const button =
  "rounded-md bg-white dark:bg-slate-900 px-3 py-1.5 text-sm font-semibold text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50 disabled:cursor-not-allowed disabled:text-slate-400 dark:disabled:text-slate-500";
const input =
  "w-full rounded-md px-2 py-1.5 font-mono text-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 focus:ring-2 focus:ring-indigo-600";

function Message({ state }: { state: PurgeActionState }) {
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

const PLACEHOLDERS = { prefix: "/images/", url: "/products/42?color=red or https://www.example.com/a" } as const;

/** Everything, a path prefix or one URL (developers and up; checked again on the server). */
export function PurgeForm({ environmentId }: { environmentId: number }) {
  const [state, action, pending] = useActionState<PurgeActionState, FormData>(purgeAction, {});
  const [kind, setKind] = useState<"all" | "prefix" | "url">("prefix");
  return (
    <form action={action} className="space-y-2" data-testid="purge-form">
      <input type="hidden" name="environmentId" value={environmentId} />
      <fieldset className="flex flex-wrap gap-4 text-sm">
        <legend className="sr-only">What to purge</legend>
        {(
          [
            ["prefix", "A path prefix"],
            ["url", "One URL"],
            ["all", "Everything"],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="flex items-center gap-1.5">
            <input type="radio" name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
            {label}
          </label>
        ))}
      </fieldset>
      {kind !== "all" ? (
        <div className="space-y-1">
          <label htmlFor={`purge-value-${environmentId}`} className="text-sm font-medium">
            {kind === "prefix" ? "Path prefix" : "URL"}
          </label>
          <input
            id={`purge-value-${environmentId}`}
            name="value"
            defaultValue={state.value ?? ""}
            key={state.at}
            placeholder={PLACEHOLDERS[kind]}
            aria-invalid={state.fieldError ? true : undefined}
            aria-describedby={state.fieldError ? `purge-error-${environmentId}` : undefined}
            className={input}
          />
          {state.fieldError ? (
            <p id={`purge-error-${environmentId}`} className="text-xs text-red-600 dark:text-red-400">
              {state.fieldError}
            </p>
          ) : null}
        </div>
      ) : null}
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Purging…" : kind === "all" ? "Purge everything" : kind === "prefix" ? "Purge prefix" : "Purge URL"}
      </button>
      <Message state={state} />
    </form>
  );
}

/** A ban expression of the admin's own (owners and admins; checked again on the server). */
export function BanForm({ environmentId }: { environmentId: number }) {
  const [state, action, pending] = useActionState<PurgeActionState, FormData>(banAction, {});
  return (
    <form action={action} className="space-y-1" data-testid="ban-form">
      <input type="hidden" name="environmentId" value={environmentId} />
      <label htmlFor={`ban-expression-${environmentId}`} className="text-sm font-medium">
        Ban expression
      </label>
      <input
        id={`ban-expression-${environmentId}`}
        name="expression"
        defaultValue={state.value ?? ""}
        key={state.at}
        placeholder={'req.url ~ "^/api/" && obj.status == 404'}
        aria-invalid={state.fieldError ? true : undefined}
        aria-describedby={`ban-help-${environmentId}`}
        className={input}
      />
      <p id={`ban-help-${environmentId}`} className="text-xs text-slate-500 dark:text-slate-400">
        Conditions on req.url, req.http.host, obj.status and obj.http.&lt;header&gt; with ==, !=, ~ or !~, joined by &amp;&amp;.
      </p>
      {state.fieldError ? <p className="text-xs text-red-600 dark:text-red-400">{state.fieldError}</p> : null}
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Purging…" : "Purge by expression"}
      </button>
      <Message state={state} />
    </form>
  );
}
