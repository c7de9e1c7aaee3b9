"use client";

import Link from "next/link";
import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";
import { confirmEmailChangeAction, type ConfirmEmailChangeState } from "./actions";
import { EMAIL_CHANGE_PROBLEMS } from "./messages";

/**
 * "Confirm new email address": a button (not the link itself), so mail scanners opening links change nothing.
 * Confirming signs every other session of the login out (this browser, when signed in as it, stays signed in).
 * `signedIn`: the link's own login is signed in here (the page never shows this form to another user), so the
 * result offers its settings; signed out, it offers to log in.
 */
export function ConfirmEmailChangeForm({ token, from, to, signedIn }: { token: string; from: string; to: string; signedIn: boolean }) {
  const [state, action, pending] = useActionState<ConfirmEmailChangeState, FormData>(confirmEmailChangeAction, {});
  const result = state.result;
  if (result?.status === "valid") {
    return (
      <div className="space-y-4" data-testid="link-status">
        <h1 className="text-xl font-semibold">Email address changed</h1>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          You now sign in with <strong className="break-all">{result.to}</strong>. We told {from} about the change.
        </p>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {result.revoked > 0
            ? `${result.revoked} other ${result.revoked === 1 ? "session was" : "sessions were"} signed out${signedIn ? "; this browser stays signed in" : ""}.`
            : "No other session was open."}
        </p>
        <Link
          href={signedIn ? "/settings" : "/login"}
          className="inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
        >
          {signedIn ? "Open your settings" : "Log in"}
        </Link>
      </div>
    );
  }
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <h1 className="text-xl font-semibold">Confirm your new email address</h1>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        Change the email of the login <strong className="break-all">{from}</strong> to <strong className="break-all">{to}</strong>? From
        then on you sign in with the new address.
      </p>
      {result ? <FormMessage>{EMAIL_CHANGE_PROBLEMS[result.status].text}</FormMessage> : null}
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Confirming…" : "Confirm new email address"}
      </Button>
    </form>
  );
}
