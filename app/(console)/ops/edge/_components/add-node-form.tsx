"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, FormMessage } from "@/components/ui/field";
import { addEdgeNodeAction, type AddEdgeNodeState } from "../actions";

/**
 * "Add a node": one Name field. The answer shows the node token once, with a copy button, and the command that
 * starts the node's agent; the console keeps only its hash.
 */
export function AddNodeForm() {
  const [state, action, pending] = useActionState<AddEdgeNodeState, FormData>(addEdgeNodeAction, {});
  return (
    <div className="space-y-4">
      {state.created ? (
        <div key={state.at} data-testid="edge-node-token" className="space-y-3 rounded-xl bg-emerald-50 p-5 ring-1 ring-emerald-200">
          <p className="text-sm font-semibold text-emerald-900">
            Node {state.created.name} added. Copy its token now: it is shown only once.
          </p>
          <div className="flex items-center gap-2 rounded-lg bg-white px-3 py-2 ring-1 ring-emerald-200">
            <code className="min-w-0 flex-1 break-all text-xs" aria-label="Node token">
              {state.created.token}
            </code>
            <CopyButton value={state.created.token} label="Copy token" />
          </div>
          <p className="text-sm text-emerald-900">On the node, in a checkout of the console&apos;s repository, start the agent:</p>
          <div className="flex items-center gap-2 rounded-lg bg-slate-900 px-3 py-2">
            <code className="min-w-0 flex-1 break-all text-xs text-slate-100" aria-label="Agent command">
              {state.created.command}
            </code>
            <CopyButton value={state.created.command} label="Copy command" />
          </div>
        </div>
      ) : null}
      <form
        action={action}
        noValidate
        aria-label="Add a node"
        className="space-y-3 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
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
