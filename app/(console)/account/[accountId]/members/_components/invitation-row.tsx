"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { resendInvitationAction, revokeInvitationAction } from "../invite-actions";
import type { FormState } from "../state";
import { StateMessage } from "./form-message";

type Props = {
  invitation: { id: number; email: string; roleLabel: string; invitedBy: string; expires: string; expired: boolean };
  canManage: boolean;
};

/** A pending invitation: address, role, who sent it, when it expires; Resend (new link) and Revoke. */
export function InvitationRow({ invitation, canManage }: Props) {
  const [resendState, resendAction, resendPending] = useActionState<FormState, FormData>(resendInvitationAction, {});
  const [revokeState, revokeAction, revokePending] = useActionState<FormState, FormData>(revokeInvitationAction, {});
  return (
    <li className="flex flex-wrap items-start gap-4 px-4 py-3" data-testid={`invitation-${invitation.email}`}>
      <div className="min-w-0 flex-1">
        <p className="font-medium text-slate-900 dark:text-slate-100">{invitation.email}</p>
        <p className="text-sm text-slate-500 dark:text-slate-400">
          {invitation.roleLabel} · invited by {invitation.invitedBy} ·{" "}
          {invitation.expired ? (
            <span className="font-medium text-amber-700 dark:text-amber-300">expired {invitation.expires}</span>
          ) : (
            <>expires {invitation.expires}</>
          )}
        </p>
        <div className="mt-2 space-y-2">
          <StateMessage state={resendState} />
          <StateMessage state={revokeState} />
        </div>
      </div>
      {canManage ? (
        <div className="flex flex-wrap items-start gap-2">
          <form action={resendAction}>
            <input type="hidden" name="invitationId" value={invitation.id} />
            <Button type="submit" variant="secondary" disabled={resendPending}>
              {resendPending ? "Sending…" : "Resend"}
            </Button>
          </form>
          <form action={revokeAction}>
            <input type="hidden" name="invitationId" value={invitation.id} />
            <ConfirmSubmit
              label="Revoke"
              prompt={`Revoke the invitation for ${invitation.email}?`}
              confirmLabel="Yes, revoke"
              pending={revokePending}
            />
          </form>
        </div>
      ) : null}
    </li>
  );
}
