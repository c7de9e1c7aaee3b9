"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";

/** What a typed-confirmation delete action returns: a form error, or a message next to the confirmation field. */
export type TypedDeleteState = { error?: string; fieldErrors?: { confirmation?: string }; values?: { confirmation?: string } };

/**
 * A destructive form that asks for `name` to be typed before `action` runs. The resource id travels as the hidden
 * field `idField`; the action re-checks session, role and the typed name on the server.
 */
export function TypedDeleteForm<S extends TypedDeleteState>(props: {
  action: (prev: S, form: FormData) => Promise<S>;
  idField: string;
  id: number;
  name: string;
  button: string;
}) {
  const [state, action, pending] = useActionState<S, FormData>(props.action, {} as Awaited<S>);
  return (
    <form action={action} noValidate className="space-y-3">
      <input type="hidden" name={props.idField} value={props.id} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Field
        label={`Type ${props.name} to confirm`}
        name="confirmation"
        autoComplete="off"
        defaultValue={state.values?.confirmation ?? ""}
        error={state.fieldErrors?.confirmation}
        className="max-w-md"
      />
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Deleting…" : props.button}
      </Button>
    </form>
  );
}
