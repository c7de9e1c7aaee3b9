"use client";

import { useActionState, useRef, useState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import { loginAction, type AuthFormState } from "../actions";

type Props = {
  callbackUrl?: string;
  email?: string;
  /** A success message shown above the fields until the form is submitted (e.g. after a password reset). */
  notice?: string;
};

/**
 * The login form (docs/product.md §3.1): email and password, then — only when the password was right and the user has
 * two-factor authentication — "Authentication code" (or "Recovery code"). The password stays in this component's
 * memory between the steps (never echoed by the server, never in the page) and is sent again with the code: the
 * server signs in only when all of them are right.
 */
export function LoginForm({ callbackUrl, email, notice }: Props) {
  const password = useRef("");
  const [recovery, setRecovery] = useState(false);
  const [initial] = useState<AuthFormState>(() => ({ values: { email } }));
  const [state, formAction, pending] = useActionState(async (prev: AuthFormState, form: FormData) => {
    if (form.has("code")) form.set("password", password.current);
    else password.current = String(form.get("password") ?? "");
    return loginAction(prev, form);
  }, initial);
  const query = callbackUrl ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : "";
  const hidden = callbackUrl ? <input type="hidden" name="callbackUrl" value={callbackUrl} /> : null;

  if (state.step === "code") {
    return (
      <form key="code" action={formAction} className="space-y-4" noValidate>
        {hidden}
        <input type="hidden" name="email" value={state.values?.email ?? ""} />
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {recovery
            ? "Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."
            : "Open your authenticator app and enter the 6-digit code it shows for Edge Console."}
        </p>
        {state.error ? <FormMessage>{state.error}</FormMessage> : null}
        <Field
          key={recovery ? "recovery" : "totp"}
          label={recovery ? "Recovery code" : "Authentication code"}
          name="code"
          autoComplete={recovery ? "off" : "one-time-code"}
          inputMode={recovery ? "text" : "numeric"}
          placeholder={recovery ? "xxxxx-xxxxx" : "123456"}
          autoFocus
          required
          error={state.fieldErrors?.code}
        />
        <Button type="submit" disabled={pending} className="w-full">
          {pending ? "Checking…" : "Verify"}
        </Button>
        <div className="flex flex-wrap justify-between gap-2 text-sm">
          <button
            type="button"
            className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline"
            onClick={() => setRecovery(!recovery)}
          >
            {recovery ? "Use your authenticator app instead" : "Use a recovery code instead"}
          </button>
          <a className="text-slate-600 dark:text-slate-400 hover:underline" href={`/login${query}`}>
            Start over
          </a>
        </div>
      </form>
    );
  }

  return (
    <form key="password" action={formAction} className="space-y-4" noValidate>
      {hidden}
      {state.error ? (
        <FormMessage>{state.error}</FormMessage>
      ) : notice && state === initial ? (
        <FormMessage tone="success">{notice}</FormMessage>
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
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        error={state.fieldErrors?.password}
      />
      <p className="-mt-2 text-right text-sm">
        <Link className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline" href="/forgot-password">
          Forgot your password?
        </Link>
      </p>
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Please wait…" : "Log in"}
      </Button>
      <p className="text-center text-sm text-slate-600 dark:text-slate-400">
        New here?{" "}
        <Link className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline" href={`/signup${query}`}>
          Sign up
        </Link>
      </p>
    </form>
  );
}
