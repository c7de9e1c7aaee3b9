"use client";

import { useActionState } from "react";
import type { ResendVerificationState } from "../actions";

type Props = { email: string; action: (prev: ResendVerificationState, form: FormData) => Promise<ResendVerificationState> };

/** The console's reminder to verify the login's email, with a Resend button (docs/product.md §3.1). */
export function VerifyEmailBanner({ email, action }: Props) {
  const [state, formAction, pending] = useActionState<ResendVerificationState, FormData>(action, {});
  return (
    <div
      role="region"
      aria-label="Email verification"
      className="border-b border-amber-200 dark:border-amber-900 bg-amber-50 dark:bg-amber-950/40"
    >
      <form
        action={formAction}
        className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2 text-sm text-amber-900 dark:text-amber-100"
      >
        <p>
          Verify your email address: we sent a link to <strong>{email}</strong>.
        </p>
        <button
          type="submit"
          disabled={pending}
          className="rounded-md px-2 py-1 font-semibold text-amber-900 dark:text-amber-100 underline hover:bg-amber-100 dark:hover:bg-amber-900/40 disabled:opacity-60"
        >
          {pending ? "Sending…" : "Resend"}
        </button>
        {state.message ? (
          <p role="status" className="text-emerald-800 dark:text-emerald-200">
            {state.message}
          </p>
        ) : null}
        {state.error ? (
          <p role="alert" className="text-red-700 dark:text-red-300">
            {state.error}
          </p>
        ) : null}
      </form>
    </div>
  );
}
