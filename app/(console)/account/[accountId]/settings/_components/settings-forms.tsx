"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { Field } from "@/components/ui/field";
import { SelectField } from "@/components/ui/select-field";
import { StateMessage } from "../../members/_components/form-message";
import type { FormState } from "../../members/state";
import { deleteAccountAction, renameAccountAction, transferOwnershipAction } from "../actions";

/** "Account name" with Save (owners and admins). */
export function RenameForm({ accountId, name }: { accountId: number; name: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(renameAccountAction, {});
  return (
    <form action={action} className="space-y-3" noValidate>
      <input type="hidden" name="accountId" value={accountId} />
      <div className="flex flex-wrap items-start gap-3">
        <Field
          key={state.at ?? 0}
          label="Account name"
          name="name"
          maxLength={80}
          defaultValue={state.values?.name ?? name}
          error={state.fieldErrors?.name}
          className="min-w-64 flex-1"
        />
        <Button type="submit" disabled={pending} className="mt-6">
          {pending ? "Saving…" : "Save name"}
        </Button>
      </div>
      <StateMessage state={state} />
    </form>
  );
}

/**
 * Choose a member to become owner; the acting owner becomes admin. Rendered for everyone (`allowed` only for
 * owners) so its answer stays on screen after the page re-renders with the giver's new role.
 */
export function TransferForm({
  accountId,
  members,
  allowed,
}: {
  accountId: number;
  members: { value: string; label: string }[];
  allowed: boolean;
}) {
  const [state, action, pending] = useActionState<FormState, FormData>(transferOwnershipAction, {});
  return (
    <div className="space-y-3">
      {!allowed ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">Only owners can transfer ownership.</p>
      ) : members.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Invite someone first: only a member who is not an owner yet can receive ownership.
        </p>
      ) : (
        <form action={action} className="space-y-3">
          <input type="hidden" name="accountId" value={accountId} />
          <SelectField label="New owner" name="userId" options={members} error={state.fieldErrors?.userId} className="max-w-md" />
          <ConfirmSubmit
            label="Transfer ownership"
            prompt="The member you chose becomes an owner and you become an admin. Continue?"
            confirmLabel="Yes, transfer"
            pending={pending}
          />
        </form>
      )}
      <StateMessage state={state} />
    </div>
  );
}

/** Typed confirmation of the account name, then "Delete account" (owners only). */
export function DeleteForm({ accountId, name }: { accountId: number; name: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(deleteAccountAction, {});
  return (
    <form action={action} className="space-y-3" noValidate>
      <input type="hidden" name="accountId" value={accountId} />
      <Field
        key={state.at ?? 0}
        label={`Type the account name (${name}) to confirm`}
        name="confirm"
        autoComplete="off"
        defaultValue={state.values?.confirm ?? ""}
        error={state.fieldErrors?.confirm}
        className="max-w-md"
      />
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Deleting…" : "Delete account"}
      </Button>
      <StateMessage state={state} />
    </form>
  );
}
