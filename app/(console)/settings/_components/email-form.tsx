"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { requestEmailChangeAction, type EmailChangeState } from "../profile-actions";

/** "Change email": the new address and the current password; a link goes to the new address. */
export function EmailForm() {
  const [state, action, pending] = useActionState<EmailChangeState, FormData>(requestEmailChangeAction, {});
  return (
    <form action={action} noValidate className="space-y-3" key={state.message ?? "form"}>
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.message ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field
          label="New email address"
          name="newEmail"
          type="email"
          autoComplete="email"
          defaultValue={state.values?.newEmail ?? ""}
          error={state.fieldErrors?.newEmail}
        />
        <Field
          label="Current password"
          id="field-email-currentPassword"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          error={state.fieldErrors?.currentPassword}
        />
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? "Sending…" : "Send confirmation link"}
      </Button>
    </form>
  );
}
