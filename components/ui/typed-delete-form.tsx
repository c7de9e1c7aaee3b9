"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import clsx from "@/components/ui/clsx";
import { Field, FormMessage } from "@/components/ui/field";

/** What a typed-confirmation delete action returns: a form error, or a message next to the confirmation field. */
export type TypedDeleteState = { error?: string; fieldErrors?: { confirmation?: string }; values?: { confirmation?: string } };

/**
 * A destructive form that asks for `name` to be typed before `action` runs. The resource id travels as the hidden
 * field `idField`; the action re-checks session, role and the typed name on the server. Optional: `label` (the form's
 * accessible name), `children` (what the action does, above the field), `pendingText` (the button while the action
 * runs; "Deleting…"), `extra` (buttons beside the submit button, e.g. Cancel) and `className` (the form's look; when given, the field
 * takes the form's width and the button is small, for a form inside a table row).
 */
export function TypedDeleteForm<S extends TypedDeleteState>(props: {
  action: (prev: S, form: FormData) => Promise<S>;
  idField: string;
  id: number;
  name: string;
  button: string;
  label?: string;
  children?: React.ReactNode;
  pendingText?: string;
  extra?: React.ReactNode;
  className?: string;
}) {
  const [state, action, pending] = useActionState<S, FormData>(props.action, {} as Awaited<S>);
  const compact = props.className !== undefined;
  const submit = (
    <Button type="submit" variant="danger" disabled={pending} className={compact ? "px-2.5 py-1 text-xs" : undefined}>
      {pending ? (props.pendingText ?? "Deleting…") : props.button}
    </Button>
  );
  return (
    <form action={action} noValidate aria-label={props.label} className={clsx(compact ? props.className : "space-y-3")}>
      <input type="hidden" name={props.idField} value={props.id} />
      {props.children}
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Field
        label={`Type ${props.name} to confirm`}
        name="confirmation"
        autoComplete="off"
        defaultValue={state.values?.confirmation ?? ""}
        error={state.fieldErrors?.confirmation}
        className={compact ? undefined : "max-w-md"}
      />
      {props.extra ? (
        <div className="flex gap-2">
          {submit}
          {props.extra}
        </div>
      ) : (
        submit
      )}
    </form>
  );
}
