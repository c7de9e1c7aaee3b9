"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { changePasswordAction, type PasswordState } from "../password-actions";

/** "Change password": current, new, and the new one again. Other browsers are signed out; this one stays. */
export function PasswordForm() {
  const [state, action, pending] = useActionState<PasswordState, FormData>(changePasswordAction, {});
  const errors = state.fieldErrors ?? {};
  return (
    <form action={action} noValidate className="space-y-3" key={state.done ?? "form"}>
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.message ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <Field
        label="Current password"
        id="field-password-currentPassword"
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        error={errors.currentPassword}
        className="max-w-md"
      />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          error={errors.newPassword}
          hint="At least 8 characters."
        />
        <Field
          label="Confirm new password"
          name="confirmPassword"
          type="password"
          autoComplete="new-password"
          error={errors.confirmPassword}
        />
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
