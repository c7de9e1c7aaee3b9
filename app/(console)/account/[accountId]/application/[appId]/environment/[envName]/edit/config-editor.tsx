"use client";

import { useActionState, useState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { DiffView } from "@/components/ui/diff-view";
import { Field, FormMessage } from "@/components/ui/field";
import { saveFileAction, type SaveFileState } from "./actions";

/** Largest file the browser editor saves (the server's MAX_EDITABLE_BYTES in lib/environments/edit.ts). */
const MAX_EDITABLE_BYTES = 256 * 1024;

/**
 * The browser editor of one file: a monospace textarea, a commit message, and the branch head it was opened on
 * (hidden `baseCommit`). Problems are listed next to the editor with their key paths; a stale save shows what
 * changed meanwhile and keeps the typed text.
 */
export function ConfigEditor(props: {
  environmentId: number;
  environment: string;
  path: string;
  content: string;
  baseCommit: string;
  reloadHref: string;
}) {
  const [state, action, pending] = useActionState<SaveFileState, FormData>(saveFileAction, {});
  const [tooLarge, setTooLarge] = useState<string | null>(null);
  const problems = state.issues ?? [];
  return (
    <form
      action={action}
      className="space-y-4"
      onSubmit={(event) => {
        // The server refuses files over MAX_EDITABLE_BYTES (lib/environments/edit.ts); far larger bodies would not
        // even reach it (the framework's 1 MB limit for actions), so say it here and keep the text.
        const content = new FormData(event.currentTarget).get("content");
        const bytes = typeof content === "string" ? new Blob([content]).size : 0;
        if (bytes > MAX_EDITABLE_BYTES) {
          event.preventDefault();
          setTooLarge(
            `The file is too large to save from the browser (${Math.ceil(bytes / 1024)} KiB; at most ${MAX_EDITABLE_BYTES / 1024} KiB): push it with git.`,
          );
        } else setTooLarge(null);
      }}
    >
      {tooLarge ? <FormMessage>{tooLarge}</FormMessage> : null}
      <input type="hidden" name="environmentId" value={props.environmentId} />
      <input type="hidden" name="path" value={props.path} />
      <input type="hidden" name="baseCommit" value={props.baseCommit} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.stale ? (
        <section aria-label="Changes since you opened the editor" className="space-y-2 rounded-xl bg-white p-4 ring-1 ring-amber-300">
          <h2 className="text-sm font-semibold text-amber-900">
            {props.environment} changed since you opened the editor (now at{" "}
            <span className="font-mono">{state.stale.head.slice(0, 7)}</span>)
          </h2>
          <DiffView diff={state.stale.diff} label="Changes since you opened the editor" />
          <Link href={props.reloadHref} className="inline-block text-sm font-semibold text-indigo-700 hover:underline">
            Open the current version (copy your text first)
          </Link>
        </section>
      ) : null}
      <div className="grid gap-4 lg:grid-cols-[1fr_18rem]">
        <div className="space-y-1">
          <label htmlFor="field-content" className="block text-sm font-medium text-slate-800">
            <span className="font-mono">{props.path}</span>
          </label>
          <textarea
            id="field-content"
            name="content"
            defaultValue={state.values?.content ?? props.content}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            rows={Math.min(40, Math.max(12, props.content.split("\n").length + 2))}
            aria-invalid={problems.length > 0 ? true : undefined}
            aria-describedby={problems.length > 0 ? "content-problems" : undefined}
            className="block w-full rounded-md border-0 bg-slate-950 p-3 font-mono text-xs leading-relaxed text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
          />
        </div>
        <aside className="space-y-3">
          <div id="content-problems" aria-live="polite" className="space-y-2">
            {problems.length > 0 ? (
              <>
                <h2 className="text-sm font-semibold text-red-800">Problems</h2>
                <ul className="space-y-2 text-sm">
                  {problems.map((issue, i) => (
                    <li key={`${issue.path}-${i}`} className="rounded-md bg-red-50 px-3 py-2 text-red-800 ring-1 ring-inset ring-red-200">
                      {issue.path ? <code className="block break-all text-xs font-semibold">{issue.path}</code> : null}
                      {issue.message}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="text-xs text-slate-500">
                Saved files are checked first:{" "}
                {props.path === "section.config.json"
                  ? `the configuration must be valid and hold the ${props.environment} block.`
                  : "the configuration of the branch must stay valid."}
              </p>
            )}
          </div>
          <Field
            label="Commit message"
            name="message"
            maxLength={2000}
            placeholder={`Update ${props.path}`}
            defaultValue={state.values?.message ?? ""}
            hint="Describe the change; it appears in the history."
          />
          <Button type="submit" disabled={pending || !!state.stale} className="w-full">
            {pending ? "Saving…" : "Save as a commit"}
          </Button>
        </aside>
      </div>
    </form>
  );
}
