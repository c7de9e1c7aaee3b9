"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";
import { promoteEnvironmentAction, type PromoteState } from "./actions";

/** "Promote to Production" for the heads shown above it; a refusal (conflict, invalid, moved) shows here. */
export function PromoteButton(props: { environmentId: number; environment: string; productionHead: string; environmentHead: string }) {
  const [state, action, pending] = useActionState<PromoteState, FormData>(promoteEnvironmentAction, {});
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="environmentId" value={props.environmentId} />
      <input type="hidden" name="productionHead" value={props.productionHead} />
      <input type="hidden" name="environmentHead" value={props.environmentHead} />
      {state.error ? (
        <FormMessage>
          <p>{state.error}</p>
          {state.conflicts?.length ? (
            <ul className="mt-1 list-inside list-disc text-xs">
              {state.conflicts.map((c) => (
                <li key={c.path}>
                  <span className="font-mono">{c.path}</span>: {c.message}
                </li>
              ))}
            </ul>
          ) : null}
          {state.issues?.length ? (
            <ul className="mt-1 list-inside list-disc text-xs">
              {state.issues.map((issue, i) => (
                <li key={i}>
                  <code>{issue.path || "section.config.json"}</code>: {issue.message}
                </li>
              ))}
            </ul>
          ) : null}
        </FormMessage>
      ) : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Promoting…" : "Promote to Production"}
      </Button>
    </form>
  );
}
