"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { FormMessage } from "@/components/ui/field";
import { revokeSessionAction, signOutEverywhereAction, type SessionActionState } from "../actions";

/** "Sign out" for one other session, asked once more before it happens. */
export function RevokeSessionButton({ sessionId, device }: { sessionId: number; device: string }) {
  const [state, action, pending] = useActionState<SessionActionState, FormData>(revokeSessionAction, {});
  return (
    <form action={action} className="flex flex-wrap items-center justify-end gap-2">
      <input type="hidden" name="sessionId" value={sessionId} />
      <ConfirmSubmit label="Sign out" prompt={`Sign out ${device}?`} confirmLabel="Yes, sign out" pending={pending} />
      {state.error ? <p className="w-full text-right text-sm text-red-600 dark:text-red-400">{state.error}</p> : null}
    </form>
  );
}

/** "Sign out everywhere else": every other session ends, this browser stays signed in. */
export function SignOutEverywhereButton({ others }: { others: number }) {
  const [state, action, pending] = useActionState<SessionActionState, FormData>(signOutEverywhereAction, {});
  return (
    <form action={action} className="space-y-3">
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.message ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Signing out…" : "Sign out everywhere else"}
      </Button>
      {others === 0 ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">
          No other sessions are open right now; this also ends any session token issued before.
        </p>
      ) : null}
    </form>
  );
}
