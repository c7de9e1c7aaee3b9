"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { SelectField } from "@/components/ui/select-field";
import { changeRoleAction, removeMemberAction } from "../actions";
import type { FormState } from "../state";
import { StateMessage } from "./form-message";

type Props = {
  member: { membershipId: number; name: string | null; email: string; role: string; roleLabel: string; joined: string };
  isSelf: boolean;
  /** Roles the viewer may set for this member; empty = the role is shown as text. */
  roles: { value: string; label: string }[];
  canRemove: boolean;
  accountName: string;
};

/** One member: name, email, role (a select with Save when the viewer may change it), joined, and Remove. */
export function MemberRow({ member, isSelf, roles, canRemove, accountName }: Props) {
  const [roleState, roleAction, rolePending] = useActionState<FormState, FormData>(changeRoleAction, {});
  const [removeState, removeAction, removePending] = useActionState<FormState, FormData>(removeMemberAction, {});
  const fieldId = `role-${member.membershipId}`;
  const roleError = roleState.tone === "error" ? (roleState.fieldErrors?.role ?? roleState.message) : undefined;
  return (
    <tr className="align-top" data-testid={`member-${member.email}`}>
      <td className="px-4 py-3">
        <p className="break-words font-medium text-slate-900 dark:text-slate-100">
          {member.name?.trim() || member.email}
          {isSelf ? (
            <span className="ml-2 rounded bg-slate-100 dark:bg-slate-800 px-1.5 py-0.5 text-xs font-medium text-slate-600 dark:text-slate-400">
              You
            </span>
          ) : null}
        </p>
        {member.name?.trim() ? <p className="text-sm text-slate-500 dark:text-slate-400">{member.email}</p> : null}
      </td>
      <td className="w-96 px-4 py-3 text-sm">
        {roles.length > 0 ? (
          <form action={roleAction} className="space-y-1">
            <input type="hidden" name="membershipId" value={member.membershipId} />
            <div className="flex items-start gap-2">
              <SelectField
                id={fieldId}
                key={roleState.at ?? 0}
                label={`Role of ${member.email}`}
                hideLabel
                name="role"
                options={roles}
                defaultValue={member.role}
                aria-invalid={roleError ? true : undefined}
                aria-describedby={roleError ? `${fieldId}-error` : undefined}
                className="w-36"
              />
              <Button type="submit" variant="secondary" disabled={rolePending} className="whitespace-nowrap">
                {rolePending ? "Saving…" : "Save role"}
              </Button>
            </div>
            {roleError ? (
              <p id={`${fieldId}-error`} className="text-sm text-red-600 dark:text-red-400">
                {roleError}
              </p>
            ) : roleState.message ? (
              <p role="status" className="text-xs text-slate-600 dark:text-slate-400">
                {roleState.message}
              </p>
            ) : null}
          </form>
        ) : (
          <span data-testid="role">{member.roleLabel}</span>
        )}
      </td>
      <td className="whitespace-nowrap px-4 py-3 text-sm text-slate-600 dark:text-slate-400">{member.joined}</td>
      <td className="px-4 py-3 text-right">
        {canRemove ? (
          <form action={removeAction} className="flex flex-col items-end gap-2">
            <input type="hidden" name="membershipId" value={member.membershipId} />
            <ConfirmSubmit
              label="Remove"
              prompt={`Remove ${member.email} from ${accountName}?`}
              confirmLabel="Yes, remove"
              pending={removePending}
            />
            <StateMessage state={removeState} />
          </form>
        ) : null}
      </td>
    </tr>
  );
}
