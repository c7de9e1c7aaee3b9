"use client";

import { useActionState, useState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { signupAction, type AuthFormState } from "../actions";

type Props = {
  callbackUrl?: string;
  /** Prefilled address (an invitation's). */
  email?: string;
};

/** The signup form (the two-step login form is login/login-form.tsx): fields keep what was typed after an error. */
export function SignupForm({ callbackUrl, email }: Props) {
  const [initial] = useState<AuthFormState>(() => ({ values: { email } }));
  const [state, formAction, pending] = useActionState(signupAction, initial);
  const query = callbackUrl ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : "";
  return (
    <form action={formAction} className="space-y-4" noValidate>
      {callbackUrl ? <input type="hidden" name="callbackUrl" value={callbackUrl} /> : null}
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        defaultValue={state.values?.email ?? ""}
        error={state.fieldErrors?.email}
      />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 8 characters."
        error={state.fieldErrors?.password}
      />
      <Field
        label="Name"
        name="name"
        autoComplete="name"
        hint="Optional: shown to your teammates."
        defaultValue={state.values?.name ?? ""}
        error={state.fieldErrors?.name}
      />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Please wait…" : "Sign up"}
      </Button>
      <p className="text-center text-sm text-slate-600 dark:text-slate-400">
        Already have a login?{" "}
        <Link className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline" href={`/login${query}`}>
          Log in
        </Link>
      </p>
    </form>
  );
}
