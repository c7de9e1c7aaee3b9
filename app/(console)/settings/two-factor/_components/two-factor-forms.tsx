"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import {
  cancelEnrolmentAction,
  confirmEnrolmentAction,
  disableTwoFactorAction,
  regenerateRecoveryCodesAction,
  startEnrolmentAction,
  type TwoFactorFormState,
} from "../actions";
import { RecoveryCodesPanel } from "./recovery-codes-panel";

/** "Set up two-factor authentication": makes a new secret; the page then shows its QR code. */
export function StartEnrolmentForm() {
  const [state, action, pending] = useActionState<TwoFactorFormState, FormData>(startEnrolmentAction, {});
  return (
    <form action={action} className="space-y-3">
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Please wait…" : "Set up two-factor authentication"}
      </Button>
    </form>
  );
}

/**
 * The code field (submitted as `code`); `id` is unique on the page, since two of these forms can be shown together.
 * `recovery` when a recovery code is accepted too (letters: no numeric keyboard on phones).
 */
function CodeField({
  id,
  state,
  label = "Authentication code",
  hint,
  recovery,
}: {
  id: string;
  state: TwoFactorFormState;
  label?: string;
  hint?: string;
  recovery?: boolean;
}) {
  return (
    <Field
      key={state.at ?? 0}
      id={id}
      label={label}
      name="code"
      autoComplete={recovery ? "off" : "one-time-code"}
      inputMode={recovery ? "text" : "numeric"}
      placeholder="123456"
      required
      hint={hint}
      error={state.fieldErrors?.code}
      className="max-w-64"
    />
  );
}

/**
 * The set-up: `children` (step 1, the QR code and the key) and step 2, the first code, which turns it on. Then the
 * QR code is hidden and the recovery codes are shown once instead.
 */
export function EnrolmentPanel({ email, children }: { email: string; children: React.ReactNode }) {
  const [state, action, pending] = useActionState(confirmEnrolmentAction, {});
  const [, cancel, cancelling] = useActionState<TwoFactorFormState, FormData>(cancelEnrolmentAction, {});
  if (state.recoveryCodes) {
    return (
      <RecoveryCodesPanel
        codes={state.recoveryCodes}
        email={email}
        intro="Two-factor authentication is on. From now on, logging in asks for a code."
      />
    );
  }
  return (
    <ol className="list-decimal space-y-4 pl-5 text-sm text-slate-700 dark:text-slate-300">
      {children}
      <li className="space-y-3">
        <p>Enter the code the app shows, to check it works.</p>
        <form action={action} className="space-y-3" noValidate>
          {state.error ? <FormMessage>{state.error}</FormMessage> : null}
          <CodeField id="field-enrol-code" state={state} hint="The 6-digit code your app shows now." />
          <Button type="submit" disabled={pending}>
            {pending ? "Checking…" : "Turn on"}
          </Button>
        </form>
        <form action={cancel}>
          <Button type="submit" variant="ghost" disabled={cancelling}>
            Cancel set-up
          </Button>
        </form>
      </li>
    </ol>
  );
}

/** New recovery codes after a fresh code (the old ones stop working). */
export function RegenerateCodesForm({ email }: { email: string }) {
  const [state, action, pending] = useActionState(regenerateRecoveryCodesAction, {});
  if (state.recoveryCodes) {
    return (
      <RecoveryCodesPanel codes={state.recoveryCodes} email={email} intro="New recovery codes were made; the old ones no longer work." />
    );
  }
  return (
    <form action={action} className="space-y-3" noValidate>
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      <CodeField
        id="field-regenerate-code"
        state={state}
        label="Code for new recovery codes"
        hint="A code from your app (or an unused recovery code)."
        recovery
      />
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? "Checking…" : "Generate new recovery codes"}
      </Button>
    </form>
  );
}

/** Turns two-factor authentication off after a fresh code. */
export function DisableForm({ warning }: { warning?: string }) {
  const [state, action, pending] = useActionState(disableTwoFactorAction, {});
  return (
    <form action={action} className="space-y-3" noValidate>
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {warning ? <FormMessage tone="warning">{warning}</FormMessage> : null}
      <CodeField
        id="field-disable-code"
        state={state}
        label="Code to turn off"
        hint="A code from your app (or an unused recovery code)."
        recovery
      />
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Checking…" : "Turn off two-factor authentication"}
      </Button>
    </form>
  );
}
