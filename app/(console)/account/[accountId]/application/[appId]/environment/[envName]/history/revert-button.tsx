"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { revertCommitAction, type RevertState } from "./actions";

/** "Revert" for one commit of the history: makes a new commit undoing it; the outcome shows next to the button. */
export function RevertButton({ environmentId, commit, subject }: { environmentId: number; commit: string; subject: string }) {
  const [state, action, pending] = useActionState<RevertState, FormData>(revertCommitAction, {});
  return (
    <form action={action} className="flex flex-col items-end gap-1">
      <input type="hidden" name="environmentId" value={environmentId} />
      <input type="hidden" name="commit" value={commit} />
      <Button type="submit" variant="secondary" disabled={pending} aria-label={`Revert “${subject}”`} className="px-2.5 py-1 text-xs">
        {pending ? "Reverting…" : "Revert"}
      </Button>
      {state.message ? (
        <p
          role="status"
          key={state.at}
          className={
            state.tone === "error"
              ? "max-w-xs text-right text-xs text-red-600 dark:text-red-400"
              : "max-w-xs text-right text-xs text-emerald-700 dark:text-emerald-300"
          }
        >
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
