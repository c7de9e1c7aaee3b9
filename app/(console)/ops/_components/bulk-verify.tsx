"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { statusLabel } from "@/components/ui/status-badge";
import { verifyDomainsAction, type OpsVerifyState } from "../actions";
import type { OpsVerifyResult } from "@/lib/ops/verify";

/** Domains sent per server call: small chunks, so the bar moves and each call re-checks the operator. */
const CHUNK = 5;

type Run = {
  names: Record<number, string>;
  total: number;
  done: number;
  results: OpsVerifyResult[];
  error: string | null;
  running: boolean;
};

/** Words for one domain's outcome of a bulk check. */
function describe(r: OpsVerifyResult): string {
  switch (r.result) {
    case "checked":
      if (r.dnsError) return `DNS error; stays ${statusLabel(r.status)}`;
      return r.previousStatus === r.status ? statusLabel(r.status) : `${statusLabel(r.previousStatus)} → ${statusLabel(r.status)}`;
    case "too-soon":
      return `checked moments ago; again in ${r.waitSeconds} s`;
    case "in-progress":
      return "a check is already running";
    case "not-found":
      return "removed meanwhile";
    default:
      return "check failed";
  }
}

/**
 * "Verify now" for the selected domains with a progress bar: sends the selection to the server in chunks of 5,
 * showing "n of m checked" and each domain's result, then refreshes the page's statuses and counts.
 */
export function BulkVerify({ selection, onClear }: { selection: { id: number; hostname: string }[]; onClear: () => void }) {
  const router = useRouter();
  const [run, setRun] = useState<Run | null>(null);

  async function start() {
    const ids = selection.map((s) => s.id);
    setRun({
      names: Object.fromEntries(selection.map((s) => [s.id, s.hostname])),
      total: ids.length,
      done: 0,
      results: [],
      error: null,
      running: true,
    });
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      let answer: OpsVerifyState;
      try {
        const form = new FormData();
        form.set("domainIds", chunk.join(","));
        answer = await verifyDomainsAction({ ok: true, results: [] }, form);
      } catch {
        answer = { ok: false, error: "The console could not be reached. Check your connection and try again." };
      }
      if (!answer.ok) {
        const error = answer.error;
        setRun((r) => r && { ...r, error, running: false });
        router.refresh();
        return;
      }
      const results = answer.results;
      setRun((r) => r && { ...r, done: r.done + chunk.length, results: [...r.results, ...results] });
    }
    setRun((r) => r && { ...r, running: false });
    onClear();
    router.refresh();
  }

  const busy = run?.running ?? false;
  return (
    <section
      aria-label="Verify selected domains"
      className="rounded-xl bg-white dark:bg-slate-900 p-3 ring-1 ring-slate-200 dark:ring-slate-700"
    >
      <div className="flex flex-wrap items-center gap-3">
        <Button type="button" onClick={start} disabled={busy || selection.length === 0}>
          {busy ? "Checking…" : "Verify now"}
        </Button>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {selection.length === 0 ? "Select domains below to check them now." : `${selection.length} selected`}
        </p>
        {run ? (
          <div className="flex min-w-48 flex-1 items-center gap-2">
            <progress value={run.done} max={run.total} aria-label="Verify progress" className="h-2 flex-1 accent-indigo-600" />
            <span role="status" className="whitespace-nowrap text-sm font-medium text-slate-700 dark:text-slate-300">
              {run.done} of {run.total} checked
            </span>
          </div>
        ) : null}
      </div>
      {run?.error ? <p className="mt-2 text-sm text-red-600 dark:text-red-400">{run.error}</p> : null}
      {run && run.results.length > 0 ? (
        <ul aria-label="Verify results" className="mt-2 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-2">
          {run.results.map((r) => (
            <li
              key={r.id}
              data-result={r.result}
              className="flex min-w-0 justify-between gap-2 border-b border-slate-100 dark:border-slate-800 py-1"
            >
              <span className="truncate font-medium text-slate-800 dark:text-slate-200">{run.names[r.id] ?? r.hostname ?? `#${r.id}`}</span>
              <span
                className={
                  r.result === "checked" && !r.dnsError ? "text-slate-700 dark:text-slate-300" : "text-amber-700 dark:text-amber-300"
                }
              >
                {describe(r)}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
