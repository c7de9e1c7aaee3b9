"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { StateMessage } from "../../members/_components/form-message";
import type { FormState } from "../../members/state";
import { setRequireTwoFactorAction } from "../two-factor-actions";

/** The owner's switch for "Require two-factor authentication for members": one button that flips it. */
export function RequireTwoFactorForm({ accountId, required }: { accountId: number; required: boolean }) {
  const [state, action, pending] = useActionState<FormState, FormData>(setRequireTwoFactorAction, {});
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="accountId" value={accountId} />
      <input type="hidden" name="required" value={required ? "off" : "on"} />
      <Button type="submit" variant={required ? "secondary" : "primary"} disabled={pending}>
        {pending ? "Saving…" : required ? "Stop requiring two-factor authentication" : "Require two-factor authentication"}
      </Button>
      <StateMessage state={state} />
    </form>
  );
}
