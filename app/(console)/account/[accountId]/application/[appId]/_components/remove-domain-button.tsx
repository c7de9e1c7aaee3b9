"use client";

import { useActionState, useState } from "react";
import { Button } from "@/components/ui/button";
import { removeDomainAction, type RemoveDomainState } from "../environment/domain-actions";

/** "Remove" for one domain, asking for confirmation first; removing frees the hostname. */
export function RemoveDomainButton({ domainId, hostname, live }: { domainId: number; hostname: string; live: boolean }) {
  const [state, action, pending] = useActionState<RemoveDomainState, FormData>(removeDomainAction, {});
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button
        type="button"
        onClick={() => setConfirming(true)}
        className="text-sm font-semibold text-red-700 dark:text-red-300 hover:underline"
      >
        Remove
      </button>
    );
  }
  return (
    <form action={action} className="flex max-w-xs flex-col items-end gap-2 text-right">
      <input type="hidden" name="domainId" value={domainId} />
      <p className="text-sm text-slate-700 dark:text-slate-300">
        Remove {hostname}? The hostname becomes free for anyone on the platform.
        {live ? " It is live: the edge stops serving it." : ""}
      </p>
      <div className="flex gap-2">
        <Button type="button" variant="secondary" onClick={() => setConfirming(false)} disabled={pending}>
          Cancel
        </Button>
        <Button type="submit" variant="danger" disabled={pending}>
          {pending ? "Removing…" : "Remove domain"}
        </Button>
      </div>
      {state.error ? <p className="text-xs text-red-600 dark:text-red-400">{state.error}</p> : null}
    </form>
  );
}
