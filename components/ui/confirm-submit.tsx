"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";

type Props = {
  /** The first button ("Remove"). */
  label: string;
  /** The question shown once it was pressed ("Remove alice@example.com from Acme?"). */
  prompt: React.ReactNode;
  /** The submit button that really does it ("Yes, remove"). */
  confirmLabel: string;
  pending?: boolean;
  disabled?: boolean;
};

/**
 * A destructive action in two steps, inside its `<form>`: the first button only asks; "Yes, …" submits the form,
 * "Cancel" goes back. Works without dialogs, so keyboard, screen readers and tests see the question in the page.
 */
export function ConfirmSubmit({ label, prompt, confirmLabel, pending, disabled }: Props) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button
        type="button"
        variant="secondary"
        className="whitespace-nowrap"
        disabled={disabled || pending}
        onClick={() => setAsking(true)}
      >
        {label}
      </Button>
    );
  }
  return (
    <span role="group" aria-label={label} className="inline-flex flex-wrap items-center gap-2">
      <span className="text-sm text-slate-700 dark:text-slate-300">{prompt}</span>
      <Button type="submit" variant="danger" className="whitespace-nowrap" disabled={pending}>
        {pending ? "Working…" : confirmLabel}
      </Button>
      <Button type="button" variant="ghost" disabled={pending} onClick={() => setAsking(false)}>
        Cancel
      </Button>
    </span>
  );
}
