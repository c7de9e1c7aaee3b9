"use client";

import { useActionState, useState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import type { AuthFormState } from "./actions";

type Props = {
  mode: "signup" | "login";
  action: (prev: AuthFormState, form: FormData) => Promise<AuthFormState>;
  callbackUrl?: string;
  email?: string;
  /** A success message shown above the fields until the form is submitted (e.g. after a password reset). */
  notice?: string;
};

/** The signup and login form: fields keep what was typed after an error. */
export function AuthForm({ mode, action, callbackUrl, email, notice }: Props) {
  const [initial] = useState<AuthFormState>(() => ({ values: { email } }));
  const [state, formAction, pending] = useActionState(action, initial);
  const query = callbackUrl ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : "";
  return (
    <form action={formAction} className="space-y-4" noValidate>
      {callbackUrl ? <input type="hidden" name="callbackUrl" value={callbackUrl} /> : null}
      {state.error ? <FormMessage>{state.error}</FormMessage> : notice && state === initial ? <FormMessage tone="success">{notice}</FormMessage> : null}
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
        autoComplete={mode === "signup" ? "new-password" : "current-password"}
        required
        hint={mode === "signup" ? "At least 8 characters." : undefined}
        error={state.fieldErrors?.password}
      />
      {mode === "login" ? (
        <p className="-mt-2 text-right text-sm">
          <Link className="font-medium text-indigo-700 hover:underline" href="/forgot-password">
            Forgot your password?
          </Link>
        </p>
      ) : null}
      {mode === "signup" ? (
        <Field label="Name" name="name" autoComplete="name" hint="Optional: shown to your teammates." defaultValue={state.values?.name ?? ""} error={state.fieldErrors?.name} />
      ) : null}
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Please wait…" : mode === "signup" ? "Sign up" : "Log in"}
      </Button>
      <p className="text-center text-sm text-slate-600">
        {mode === "signup" ? (
          <>
            Already have a login? <Link className="font-medium text-indigo-700 hover:underline" href={`/login${query}`}>Log in</Link>
          </>
        ) : (
          <>
            New here? <Link className="font-medium text-indigo-700 hover:underline" href={`/signup${query}`}>Sign up</Link>
          </>
        )}
      </p>
    </form>
  );
}
