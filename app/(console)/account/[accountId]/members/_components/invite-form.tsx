"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { SelectField } from "@/components/ui/select-field";
import { inviteMemberAction } from "../invite-actions";
import type { FormState } from "../state";
import { StateMessage } from "./form-message";

/** "Invite": an email address and one of the roles the inviter may grant. */
export function InviteForm({ accountId, roles }: { accountId: number; roles: { value: string; label: string }[] }) {
  const [state, action, pending] = useActionState<FormState, FormData>(inviteMemberAction, {});
  const fallbackRole = roles.some((r) => r.value === "developer") ? "developer" : roles[roles.length - 1]?.value;
  return (
    <form action={action} className="space-y-3" noValidate>
      <input type="hidden" name="accountId" value={accountId} />
      <div className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
        <Field
          key={`email-${state.at ?? 0}`}
          label="Email"
          name="email"
          type="email"
          autoComplete="off"
          placeholder="name@example.com"
          defaultValue={state.tone === "success" ? "" : (state.values?.email ?? "")}
          error={state.fieldErrors?.email}
        />
        <SelectField
          key={`role-${state.at ?? 0}`}
          label="Role"
          name="role"
          options={roles}
          defaultValue={state.values?.role ?? fallbackRole}
          error={state.fieldErrors?.role}
        />
        <Button type="submit" disabled={pending} className="sm:mt-6">
          {pending ? "Sending…" : "Send invitation"}
        </Button>
      </div>
      <StateMessage state={state} />
    </form>
  );
}
