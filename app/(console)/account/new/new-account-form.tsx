"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { createAccountAction } from "./actions";

/** Form asking for the new account's name. */
export function NewAccountForm() {
  const [state, action, pending] = useActionState(createAccountAction, {});
  return (
    <form action={action} className="space-y-4" noValidate>
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Field
        label="Account name"
        name="name"
        required
        maxLength={80}
        placeholder="Acme Inc."
        defaultValue={state.values?.name ?? ""}
        error={state.fieldErrors?.name}
      />
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create account"}
      </Button>
    </form>
  );
}
