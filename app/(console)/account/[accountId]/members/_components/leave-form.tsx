"use client";

import { useActionState } from "react";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { leaveAccountAction } from "../actions";
import type { FormState } from "../state";
import { StateMessage } from "./form-message";

/** "Leave account" with a confirmation; refused for the last owner (the server says why). */
export function LeaveForm({ accountId, accountName }: { accountId: number; accountName: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(leaveAccountAction, {});
  return (
    <form action={action} className="space-y-2">
      <input type="hidden" name="accountId" value={accountId} />
      <ConfirmSubmit
        label="Leave account"
        prompt={`Leave ${accountName}? You lose access to its applications until someone invites you again.`}
        confirmLabel="Yes, leave"
        pending={pending}
      />
      <StateMessage state={state} />
    </form>
  );
}
