"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";
import { acceptInvitationAction, type AcceptState } from "./actions";

/** The Accept button of an invitation the signed-in user may accept. */
export function AcceptForm({ token, accountName }: { token: string; accountName: string }) {
  const [state, action, pending] = useActionState<AcceptState, FormData>(acceptInvitationAction, {});
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="token" value={token} />
      {state.message ? <FormMessage key={state.at}>{state.message}</FormMessage> : null}
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Joining…" : `Accept and join ${accountName}`}
      </Button>
    </form>
  );
}
