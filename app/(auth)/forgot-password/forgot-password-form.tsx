"use client";

import { useActionState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { forgotPasswordAction, type ForgotPasswordState } from "./actions";

/** Asks for the login's email; the answer never says whether an account exists. */
export function ForgotPasswordForm({ email }: { email?: string }) {
  const [state, formAction, pending] = useActionState<ForgotPasswordState, FormData>(forgotPasswordAction, { values: { email } });
  return (
    <form action={formAction} className="space-y-4" noValidate>
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.sent ? (
        <FormMessage tone="success">
          If an account exists for that email, we sent a link to choose a new password. It works once, for 1 hour. Check your inbox.
        </FormMessage>
      ) : null}
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        defaultValue={state.values?.email ?? ""}
        error={state.fieldErrors?.email}
      />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Please wait…" : state.sent ? "Send the link again" : "Send reset link"}
      </Button>
      <p className="text-center text-sm text-slate-600 dark:text-slate-400">
        Remembered it?{" "}
        <Link className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline" href="/login">
          Log in
        </Link>
      </p>
    </form>
  );
}
