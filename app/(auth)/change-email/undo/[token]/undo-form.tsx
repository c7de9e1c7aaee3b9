"use client";

import { useActionState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";
import { undoEmailChangeAction, type UndoEmailChangeState } from "./actions";
import { UNDO_LINK_PROBLEMS } from "./messages";

/**
 * "Restore my old address": a button (not the link itself), so mail scanners opening the link change nothing.
 * Afterwards the login is signed out everywhere, this browser included.
 */
export function UndoEmailChangeForm({ token, current, restore }: { token: string; current: string; restore: string }) {
  const [state, action, pending] = useActionState<UndoEmailChangeState, FormData>(undoEmailChangeAction, {});
  const result = state.result;
  if (result?.status === "valid") {
    return (
      <div className="space-y-4" data-testid="link-status">
        <h1 className="text-xl font-semibold">Your old address is back</h1>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          The login signs in with <strong className="break-all">{result.restore}</strong> again, and every session was signed out, this one
          too.
        </p>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          If the password may have been changed as well, reset it now: the link goes to this address.
        </p>
        <Link
          href={`/forgot-password?email=${encodeURIComponent(result.restore)}`}
          className="inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
        >
          Reset the password
        </Link>
        <p className="text-center text-sm">
          <Link className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline" href="/login">
            Log in
          </Link>
        </p>
      </div>
    );
  }
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <h1 className="text-xl font-semibold">Undo the email change</h1>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        The login now signs in with <strong className="break-all">{current}</strong>. Make <strong className="break-all">{restore}</strong>{" "}
        its email again and sign it out everywhere?
      </p>
      {result ? <FormMessage>{UNDO_LINK_PROBLEMS[result.status].text}</FormMessage> : null}
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Restoring…" : "Restore my old address"}
      </Button>
    </form>
  );
}
