"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { updateNameAction, type NameState } from "../profile-actions";

/** The "Name" form of the profile. */
export function NameForm({ name }: { name: string }) {
  const [state, action, pending] = useActionState<NameState, FormData>(updateNameAction, {});
  return (
    <form action={action} noValidate className="space-y-3">
      <Field
        label="Name"
        name="name"
        maxLength={100}
        autoComplete="name"
        defaultValue={state.values?.name ?? name}
        error={state.error}
        hint="Shown in the console and in audit logs. Leave empty to show your email address instead."
        className="max-w-md"
      />
      {state.message ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Saving…" : "Save name"}
      </Button>
    </form>
  );
}
