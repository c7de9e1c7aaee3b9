"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { addDomainAction, type AddDomainState } from "../environment/domain-actions";

/** "Add domain" of an environment: one Hostname field; errors (invalid, already used) appear under it. */
export function AddDomainForm({ environmentId, environmentName }: { environmentId: number; environmentName: string }) {
  const [state, action, pending] = useActionState<AddDomainState, FormData>(addDomainAction, {});
  return (
    <form
      action={action}
      noValidate
      aria-label="Add domain"
      className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700"
    >
      <input type="hidden" name="environmentId" value={environmentId} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.notice ? (
        <FormMessage tone="success" key={`notice-${state.at}`}>
          {state.notice}
        </FormMessage>
      ) : null}
      <Field
        key={`field-${state.at}`}
        id="add-domain-hostname"
        label="Hostname"
        name="hostname"
        autoComplete="off"
        placeholder="shop.example.com"
        defaultValue={state.values?.hostname ?? ""}
        error={state.fieldErrors?.hostname}
        hint={`Another hostname served by ${environmentName}. A hostname another account uses becomes a claim, settled by a TXT record.`}
        className="max-w-md"
      />
      <Button type="submit" disabled={pending}>
        {pending ? "Adding…" : "Add domain"}
      </Button>
    </form>
  );
}
