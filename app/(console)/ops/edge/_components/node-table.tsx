"use client";

import { useActionState, useState } from "react";
import { Button } from "@/components/ui/button";
import clsx from "@/components/ui/clsx";
import { TypedDeleteForm } from "@/components/ui/typed-delete-form";
import { revokeEdgeNodeAction, setEdgeNodeDrainAction, type EdgeNodeActionState } from "../actions";

/** One node as the table shows it (times already in words, on the server). */
export type NodeTableRow = {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  /** When it was revoked, or null. */
  revoked: string | null;
  drain: boolean;
  stale: boolean;
  /** `3 s ago`, or null before the first report. */
  lastContact: string | null;
  lastContactAt: string | null;
  address: string | null;
  ports: string[];
  appliedVersion: number | null;
  tools: string[];
  lastError: string | null;
};

function Badge({ tone, children }: { tone: "red" | "amber" | "slate" | "emerald"; children: React.ReactNode }) {
  const look = {
    red: "bg-red-50 dark:bg-red-950/40 text-red-800 dark:text-red-200 ring-red-300 dark:ring-red-800",
    amber: "bg-amber-50 dark:bg-amber-950/40 text-amber-900 dark:text-amber-100 ring-amber-300 dark:ring-amber-800",
    slate: "bg-slate-100 dark:bg-slate-800 text-slate-700 dark:text-slate-300 ring-slate-300 dark:ring-slate-600",
    emerald: "bg-emerald-50 dark:bg-emerald-950/40 text-emerald-800 dark:text-emerald-200 ring-emerald-300 dark:ring-emerald-800",
  }[tone];
  return (
    <span className={clsx("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset", look)}>
      {children}
    </span>
  );
}

/** Drain / Undrain for one node. */
function DrainButton({ row }: { row: NodeTableRow }) {
  const [state, action, pending] = useActionState<EdgeNodeActionState, FormData>(setEdgeNodeDrainAction, {});
  return (
    <form action={action} className="flex flex-col items-start gap-1">
      <input type="hidden" name="nodeId" value={row.id} />
      <input type="hidden" name="drain" value={row.drain ? "false" : "true"} />
      <Button type="submit" variant="secondary" disabled={pending} className="px-2.5 py-1 text-xs">
        {pending ? "Saving…" : row.drain ? "Undrain" : "Drain"}
      </Button>
      {state.error ? <p className="text-xs text-red-600 dark:text-red-400">{state.error}</p> : null}
    </form>
  );
}

/** Revoke for one node: asks for the node's name first (TypedDeleteForm); the action checks it again on the server. */
function RevokeForm({ row }: { row: NodeTableRow }) {
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <Button type="button" variant="ghost" onClick={() => setOpen(true)} className="px-2.5 py-1 text-xs text-red-700 dark:text-red-300">
        Revoke…
      </Button>
    );
  return (
    <TypedDeleteForm<EdgeNodeActionState>
      action={revokeEdgeNodeAction}
      idField="nodeId"
      id={row.id}
      name={row.name}
      button="Revoke node"
      pendingText="Revoking…"
      label={`Revoke ${row.name}`}
      className="w-64 space-y-2 rounded-lg bg-red-50 dark:bg-red-950/40 p-3 ring-1 ring-red-200 dark:ring-red-900"
      extra={
        <Button type="button" variant="ghost" onClick={() => setOpen(false)} className="px-2.5 py-1 text-xs">
          Cancel
        </Button>
      }
    >
      <p className="text-xs text-red-900 dark:text-red-100">
        Its next poll gets 401: the node keeps serving its last state and stops taking changes. This cannot be undone.
      </p>
    </TypedDeleteForm>
  );
}

/** The node list of /ops/edge: one row per node, revoked ones greyed with their revocation time. */
export function NodeTable({ rows }: { rows: NodeTableRow[] }) {
  return (
    <div className="overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 dark:border-slate-700 text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
          <tr>
            <th className="whitespace-nowrap px-4 py-2 font-medium">Node</th>
            <th className="whitespace-nowrap px-4 py-2 font-medium">Last contact</th>
            <th className="whitespace-nowrap px-4 py-2 font-medium">Address</th>
            <th className="whitespace-nowrap px-4 py-2 font-medium">Applied version</th>
            <th className="whitespace-nowrap px-4 py-2 font-medium">Tools</th>
            <th className="whitespace-nowrap px-4 py-2 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((row) => (
            <tr
              key={row.id}
              data-testid={`edge-node-${row.name}`}
              className={clsx("align-top", row.revoked && "bg-slate-50 dark:bg-slate-800/50 text-slate-500 dark:text-slate-400")}
            >
              <td className="px-4 py-3">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-semibold text-slate-900 dark:text-slate-100">{row.name}</span>
                  {row.revoked ? <Badge tone="slate">Revoked</Badge> : null}
                  {!row.revoked && !row.lastContact ? <Badge tone="slate">No report yet</Badge> : null}
                  {!row.revoked && row.lastContact && row.stale ? <Badge tone="amber">Stale</Badge> : null}
                  {!row.revoked && row.drain ? <Badge tone="slate">Drained</Badge> : null}
                  {!row.revoked && !row.stale && !row.drain && row.lastContact ? <Badge tone="emerald">Serving</Badge> : null}
                </div>
                <p className="mt-0.5 font-mono text-xs text-slate-500 dark:text-slate-400">
                  {row.prefix}… · added {row.createdAt}
                  {row.revoked ? ` · revoked ${row.revoked}` : ""}
                </p>
                {row.drain && !row.revoked ? (
                  <p className="mt-1 max-w-md text-xs text-slate-600 dark:text-slate-400" data-testid="edge-node-drained">
                    Still serves every request and takes changes: take it out of DNS (or your load balancer) to move traffic away.
                  </p>
                ) : null}
                {row.lastError ? (
                  <p
                    className="mt-1 max-w-md text-xs text-red-700 dark:text-red-300 [overflow-wrap:anywhere]"
                    data-testid="edge-node-error"
                  >
                    {row.lastError}
                  </p>
                ) : null}
              </td>
              <td className="whitespace-nowrap px-4 py-3" title={row.lastContactAt ?? undefined}>
                {row.lastContact ?? <span className="text-slate-500 dark:text-slate-400">never</span>}
              </td>
              <td className="px-4 py-3 font-mono text-xs">
                {row.address ? (
                  <>
                    <span className="[overflow-wrap:anywhere]">{row.address}</span>
                    {row.ports.length ? (
                      <span className="block whitespace-nowrap text-slate-500 dark:text-slate-400">{row.ports.join(" · ")}</span>
                    ) : null}
                  </>
                ) : (
                  <span className="font-sans text-slate-500 dark:text-slate-400">—</span>
                )}
              </td>
              <td className="px-4 py-3 font-mono text-xs">
                {row.appliedVersion ?? <span className="font-sans text-slate-500 dark:text-slate-400">—</span>}
              </td>
              <td className="px-4 py-3 text-xs">
                {row.tools.length ? (
                  <ul className="space-y-0.5">
                    {row.tools.map((t) => (
                      <li key={t} className="whitespace-nowrap font-mono">
                        {t}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <span className="text-slate-500 dark:text-slate-400">—</span>
                )}
              </td>
              <td className="px-4 py-3">
                {row.revoked ? null : (
                  <div className="flex flex-col items-end gap-2">
                    <DrainButton row={row} />
                    <RevokeForm row={row} />
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
