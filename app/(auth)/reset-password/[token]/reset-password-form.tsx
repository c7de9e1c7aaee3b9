"use client";

import { useActionState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { resetPasswordAction, type ResetPasswordState } from "./actions";

/** The New password field of a valid reset link; the token travels in a hidden field. */
export function ResetPasswordForm({ token, email }: { token: string; email: string }) {
  const [state, formAction, pending] = useActionState<ResetPasswordState, FormData>(resetPasswordAction, {});
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <input type="hidden" name="token" value={token} />
      {/* Lets password managers file the new password under the right login. */}
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      {state.error ? (
        <FormMessage>
          {state.error}{" "}
          <Link className="font-medium underline" href="/forgot-password">
            Ask for a new link
          </Link>
        </FormMessage>
      ) : null}
      <Field
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 8 characters."
        error={state.fieldErrors?.password}
      />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Please wait…" : "Set new password"}
      </Button>
    </form>
  );
}
