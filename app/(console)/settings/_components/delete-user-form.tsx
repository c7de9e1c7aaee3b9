"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { deleteUserAction, type DeleteUserState } from "../delete-user-actions";

/**
 * "Delete my user": the email address typed, the current password and — with two-factor authentication on — a fresh
 * code. The server re-checks all of them; the password and the code are never sent back.
 */
export function DeleteUserForm({ email, twoFactor }: { email: string; twoFactor: boolean }) {
  const [state, action, pending] = useActionState<DeleteUserState, FormData>(deleteUserAction, {});
  const errors = state.fieldErrors ?? {};
  return (
    <form action={action} noValidate className="space-y-3">
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Field
        label={`Type ${email} to confirm`}
        name="confirmation"
        autoComplete="off"
        defaultValue={state.values?.confirmation ?? ""}
        error={errors.confirmation}
        className="max-w-md"
      />
      <Field
        key={`password-${state.at ?? 0}`}
        label="Current password"
        id="field-delete-currentPassword"
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        error={errors.currentPassword}
        className="max-w-md"
      />
      {twoFactor ? (
        <Field
          key={`code-${state.at ?? 0}`}
          label="Two-factor code"
          id="field-delete-code"
          name="code"
          autoComplete="one-time-code"
          placeholder="123456"
          hint="A code from your authenticator app (or an unused recovery code)."
          error={errors.code}
          className="max-w-64"
        />
      ) : null}
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Deleting…" : "Delete my user"}
      </Button>
    </form>
  );
}
