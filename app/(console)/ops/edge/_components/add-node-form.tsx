"use client";

import { useActionState, useRef } from "react";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, FormMessage } from "@/components/ui/field";
import { addEdgeNodeAction, type AddEdgeNodeState } from "../actions";

/**
 * Keeps the token panel of the last node added when a later answer is a refusal (an empty or bad name typed after
 * it): the token is shown once and must not vanish before the operator copied it.
 */
async function addKeepingToken(prev: AddEdgeNodeState, form: FormData): Promise<AddEdgeNodeState> {
  const next = await addEdgeNodeAction(prev, form);
  return next.created || !prev.created ? next : { ...next, created: prev.created };
}

/**
 * "Add a node": one Name field. The answer shows the node token once, with a copy button, and the command that
 * starts the node's agent; the console keeps only its hash. One submission at a time: Enter pressed again while the
 * first runs is ignored (the button is disabled too), so a quick double or triple Enter adds one node and its token
 * stays on the page.
 */
export function AddNodeForm() {
  // Set on submit, before React re-renders with `pending`: Enter presses in between are refused here.
  const busy = useRef(false);
  const [state, action, pending] = useActionState<AddEdgeNodeState, FormData>(async (prev, form) => {
    try {
      return await addKeepingToken(prev, form);
    } finally {
      busy.current = false;
    }
  }, {});
  return (
    <div className="space-y-4">
      {state.created ? (
        <div
          key={state.created.token}
          data-testid="edge-node-token"
          className="space-y-3 rounded-xl bg-emerald-50 dark:bg-emerald-950/40 p-5 ring-1 ring-emerald-200 dark:ring-emerald-900"
        >
          <p className="text-sm font-semibold text-emerald-900 dark:text-emerald-100">
            Node {state.created.name} added. Copy its token now: it is shown only once.
          </p>
          <div className="flex items-center gap-2 rounded-lg bg-white dark:bg-slate-900 px-3 py-2 ring-1 ring-emerald-200 dark:ring-emerald-900">
            <code className="min-w-0 flex-1 break-all text-xs" aria-label="Node token">
              {state.created.token}
            </code>
            <CopyButton value={state.created.token} label="Copy token" />
          </div>
          <p className="text-sm text-emerald-900 dark:text-emerald-100">
            On the node, in a checkout of the console&apos;s repository, start the agent:
          </p>
          <div className="flex items-center gap-2 rounded-lg bg-slate-900 dark:bg-slate-950 dark:ring-1 dark:ring-slate-800 px-3 py-2">
            <code className="min-w-0 flex-1 break-all text-xs text-slate-100" aria-label="Agent command">
              {state.created.command}
            </code>
            <CopyButton value={state.created.command} label="Copy command" />
          </div>
        </div>
      ) : null}
      <form
        action={action}
        onSubmit={(event) => {
          if (busy.current) event.preventDefault();
          else busy.current = true;
        }}
        noValidate
        aria-label="Add a node"
        className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700"
      >
        {state.error ? <FormMessage>{state.error}</FormMessage> : null}
        <Field
          key={state.at}
          id="edge-node-name"
          label="Name"
          name="name"
          autoComplete="off"
          placeholder="edge-1"
          defaultValue={state.values?.name ?? ""}
          error={state.fieldErrors?.name}
          hint="Lower-case letters, digits and hyphens, up to 63 characters; unique among nodes."
          className="max-w-md"
        />
        <Button type="submit" disabled={pending}>
          {pending ? "Adding…" : "Add node"}
        </Button>
      </form>
    </div>
  );
}
