"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { createEnvironmentAction, type CreateEnvironmentState } from "../environment/actions";

/** "New environment": name, source environment and one hostname; errors next to each field. */
export function NewEnvironmentForm({ applicationId, sources }: { applicationId: number; sources: string[] }) {
  const [state, action, pending] = useActionState<CreateEnvironmentState, FormData>(createEnvironmentAction, {});
  const sourceError = state.fieldErrors?.source;
  return (
    <form
      action={action}
      noValidate
      aria-label="New environment"
      className="space-y-4 rounded-xl bg-white dark:bg-slate-900 p-5 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700"
    >
      <input type="hidden" name="applicationId" value={applicationId} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <div className="grid gap-4 sm:grid-cols-3">
        <Field
          label="Environment name"
          name="name"
          required
          autoComplete="off"
          placeholder="Staging"
          defaultValue={state.values?.name ?? ""}
          error={state.fieldErrors?.name}
          hint="Letters and digits, starting with a letter. It is also the git branch's name."
        />
        <div className="space-y-1">
          <label htmlFor="field-source" className="block text-sm font-medium text-slate-800 dark:text-slate-200">
            Source environment
          </label>
          <select
            id="field-source"
            name="source"
            defaultValue={state.values?.source || sources[0]}
            aria-invalid={sourceError ? true : undefined}
            aria-describedby={sourceError ? "field-source-error field-source-hint" : "field-source-hint"}
            className="block w-full rounded-md border-0 bg-white dark:bg-slate-900 py-2 pl-3 pr-8 text-sm text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600 focus:ring-2 focus:ring-inset focus:ring-indigo-600"
          >
            {sources.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <p id="field-source-hint" className="text-xs text-slate-500 dark:text-slate-400">
            The new branch starts from this one, with a copy of its settings.
          </p>
          {sourceError ? (
            <p id="field-source-error" className="text-sm text-red-600 dark:text-red-400">
              {sourceError}
            </p>
          ) : null}
        </div>
        <Field
          label="Hostname"
          name="hostname"
          required
          autoComplete="off"
          placeholder="staging.example.com"
          defaultValue={state.values?.hostname ?? ""}
          error={state.fieldErrors?.hostname}
          hint="The domain this environment serves; you can point its DNS at the edge later."
        />
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create environment"}
      </Button>
    </form>
  );
}
