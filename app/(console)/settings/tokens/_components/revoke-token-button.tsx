"use client";

import { useActionState, useState } from "react";
import { Button } from "@/components/ui/button";
import { revokeTokenAction, type RevokeTokenState } from "../actions";

/** "Revoke" with a confirmation step: the token stops working at once. */
export function RevokeTokenButton({ tokenId, name }: { tokenId: number; name: string }) {
  const [confirming, setConfirming] = useState(false);
  const [state, action, pending] = useActionState<RevokeTokenState, FormData>(revokeTokenAction, {});
  if (!confirming) {
    return (
      <Button
        type="button"
        variant="secondary"
        className="whitespace-nowrap"
        onClick={() => setConfirming(true)}
        aria-label={`Revoke ${name}`}
      >
        Revoke
      </Button>
    );
  }
  return (
    <form action={action} className="flex flex-wrap items-center justify-end gap-2" role="group" aria-label={`Confirm revoking ${name}`}>
      <input type="hidden" name="tokenId" value={tokenId} />
      <span className="text-xs text-slate-700 dark:text-slate-300">Anything using “{name}” stops working now.</span>
      <Button type="submit" variant="danger" className="whitespace-nowrap" disabled={pending}>
        {pending ? "Revoking…" : "Revoke token"}
      </Button>
      <Button type="button" variant="ghost" onClick={() => setConfirming(false)} disabled={pending}>
        Cancel
      </Button>
      {state.error ? <p className="w-full text-right text-sm text-red-600 dark:text-red-400">{state.error}</p> : null}
    </form>
  );
}
