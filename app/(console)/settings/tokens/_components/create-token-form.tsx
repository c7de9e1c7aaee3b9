"use client";

import { useActionState, useState } from "react";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, FormMessage } from "@/components/ui/field";
import { createTokenAction, type CreateTokenState } from "../actions";

/** "New token" form; after creating, shows the value once with a copy button. */
export function CreateTokenForm() {
  const [state, action, pending] = useActionState<CreateTokenState, FormData>(createTokenAction, {});
  const [dismissed, setDismissed] = useState<string | null>(null);
  return (
    <div className="space-y-4">
      {state.created && dismissed !== state.created.value ? (
        <div
          className="space-y-2 rounded-xl bg-emerald-50 dark:bg-emerald-950/40 p-4 ring-1 ring-emerald-200 dark:ring-emerald-900"
          data-testid="new-token"
        >
          <p className="text-sm font-medium text-emerald-900 dark:text-emerald-100">
            Token “{state.created.name}” created{state.created.readOnly ? " (read-only)" : ""}.
          </p>
          <div className="flex items-center gap-2 rounded-lg bg-white dark:bg-slate-900 px-3 py-2 ring-1 ring-emerald-200 dark:ring-emerald-900">
            <code className="min-w-0 flex-1 break-all text-xs" data-testid="new-token-value">
              {state.created.value}
            </code>
            <CopyButton value={state.created.value} label="Copy token" />
          </div>
          <FormMessage tone="warning">Copy it now: it is shown only once and cannot be recovered. Treat it like a password.</FormMessage>
          <Button type="button" variant="secondary" onClick={() => setDismissed(state.created?.value ?? null)}>
            Done, I have copied it
          </Button>
        </div>
      ) : null}
      <form action={action} className="space-y-4" noValidate key={state.created?.value ?? "form"}>
        {state.error ? <FormMessage>{state.error}</FormMessage> : null}
        <Field
          label="Name"
          name="name"
          required
          maxLength={100}
          placeholder="CI deploy, laptop…"
          defaultValue={state.values?.name ?? ""}
          error={state.fieldErrors?.name}
        />
        <Field
          label="Expires in (days, optional)"
          name="expiresInDays"
          inputMode="numeric"
          placeholder="never"
          defaultValue={state.values?.expiresInDays ?? ""}
          error={state.fieldErrors?.expiresInDays}
          hint="Leave empty for a token that does not expire."
          className="max-w-xs"
        />
        <div className="flex items-start gap-2">
          <input
            id="field-readOnly"
            name="readOnly"
            type="checkbox"
            defaultChecked={state.values?.readOnly ?? false}
            className="mt-0.5 h-4 w-4"
            aria-describedby="field-readOnly-hint"
          />
          <div>
            <label htmlFor="field-readOnly" className="text-sm font-medium text-slate-800 dark:text-slate-200">
              Read-only
            </label>
            <p id="field-readOnly-hint" className="text-xs text-slate-500 dark:text-slate-400">
              Can fetch and read, never push or change anything.
            </p>
          </div>
        </div>
        <Button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create token"}
        </Button>
      </form>
    </div>
  );
}
