"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { deleteEnvironmentAction, type DeleteEnvironmentState } from "../environment/actions";

/** Deletes an environment after its name is typed; its branch is kept as a `deleted/…` tag. */
export function DeleteEnvironmentForm({ environmentId, name }: { environmentId: number; name: string }) {
  const [state, action, pending] = useActionState<DeleteEnvironmentState, FormData>(deleteEnvironmentAction, {});
  return (
    <form action={action} noValidate className="space-y-3">
      <input type="hidden" name="environmentId" value={environmentId} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Field
        label={`Type ${name} to confirm`}
        name="confirmation"
        autoComplete="off"
        defaultValue={state.values?.confirmation ?? ""}
        error={state.fieldErrors?.confirmation}
        className="max-w-sm"
      />
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Deleting…" : "Delete environment"}
      </Button>
    </form>
  );
}
