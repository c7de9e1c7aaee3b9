"use client";

import { TypedDeleteForm } from "@/components/ui/typed-delete-form";
import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { deleteApplicationAction, renameApplicationAction, type ApplicationSettingsState } from "../actions";

/** Renames the application's display name (the clone URL stays as it is). */
export function RenameApplicationForm({ applicationId, name }: { applicationId: number; name: string }) {
  const [state, action, pending] = useActionState<ApplicationSettingsState, FormData>(renameApplicationAction, {});
  return (
    <form action={action} noValidate className="space-y-3">
      <input type="hidden" name="applicationId" value={applicationId} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.ok ? (
        <FormMessage tone="success" key={state.at}>
          Saved.
        </FormMessage>
      ) : null}
      <Field
        label="Application name"
        name="name"
        autoComplete="off"
        defaultValue={state.values?.name ?? name}
        error={state.fieldErrors?.name}
        className="max-w-md"
      />
      <Button type="submit" disabled={pending}>
        {pending ? "Saving…" : "Rename"}
      </Button>
    </form>
  );
}

/** Deletes the application after its name is typed; its hostnames become free, its repository is archived. */
export function DeleteApplicationForm({ applicationId, name }: { applicationId: number; name: string }) {
  return (
    <TypedDeleteForm action={deleteApplicationAction} idField="applicationId" id={applicationId} name={name} button="Delete application" />
  );
}
