"use client";

import { useActionState, useState } from "react";
import dynamic from "next/dynamic";
import Link from "next/link";
import type { EditorProblem } from "@/components/editor/code-editor";
import { Button } from "@/components/ui/button";
import { DiffView } from "@/components/ui/diff-view";
import { Field, FormMessage } from "@/components/ui/field";
import type { JsonSchema } from "@/lib/section-config/json-schema";
import { saveFileAction, type SaveFileState } from "./actions";

// CodeMirror is loaded in the browser only, and only by this page: no other route's JavaScript grows. Until it is up
// (or if it cannot load, or without JavaScript) the plain textarea is the editor.
const CodeEditor = dynamic(() => import("@/components/editor/code-editor"), { ssr: false });

/** Largest file the browser editor saves (the server's MAX_EDITABLE_BYTES in lib/environments/edit.ts). */
const MAX_EDITABLE_BYTES = 256 * 1024;

/**
 * The browser editor of one file: a textarea (enhanced into the CodeMirror editor of components/editor once its code
 * has loaded), a commit message, and the branch head it was opened on (hidden `baseCommit`). `schema` (for
 * `section.config.json`) lets the editor mark problems at their line while typing; the server's problems are listed
 * next to the editor with their key paths; a stale save shows what changed meanwhile and keeps the typed text.
 */
export function ConfigEditor(props: {
  environmentId: number;
  environment: string;
  path: string;
  content: string;
  baseCommit: string;
  reloadHref: string;
  schema?: JsonSchema;
}) {
  const [state, action, pending] = useActionState<SaveFileState, FormData>(saveFileAction, {});
  const [tooLarge, setTooLarge] = useState<string | null>(null);
  const problems = state.issues ?? [];
  const [enhanced, setEnhanced] = useState(false);
  const [typing, setTyping] = useState<EditorProblem[]>([]);
  // The answer the text was changed after: its problems are then those of the refused text, not of this one.
  const [editedAfter, setEditedAfter] = useState<SaveFileState | null>(null);
  const stale = problems.length > 0 && editedAfter === state;
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
      {/* Uncontrolled: the editor re-renders this form as the user types, and these never change while it is open
          (a new head or file remounts it). */}
      <input type="hidden" name="environmentId" defaultValue={props.environmentId} />
      <input type="hidden" name="path" defaultValue={props.path} />
      <input type="hidden" name="baseCommit" defaultValue={props.baseCommit} />
      {state.error ? <FormMessage>{state.error}</FormMessage> : null}
      {state.stale ? (
        <section
          aria-label="Changes since you opened the editor"
          className="space-y-2 rounded-xl bg-white p-4 ring-1 ring-amber-300 dark:bg-slate-900 dark:ring-amber-700"
        >
          <h2 className="text-sm font-semibold text-amber-900 dark:text-amber-200">
            {props.environment} changed since you opened the editor (now at{" "}
            <span className="font-mono">{state.stale.head.slice(0, 7)}</span>)
          </h2>
          <DiffView diff={state.stale.diff} label="Changes since you opened the editor" />
          <Link href={props.reloadHref} className="inline-block text-sm font-semibold text-indigo-700 hover:underline dark:text-indigo-300">
            Open the current version (copy your text first)
          </Link>
        </section>
      ) : null}
      <div className="grid gap-4 lg:grid-cols-[1fr_18rem]">
        <div className="min-w-0 space-y-1">
          <label id="content-label" htmlFor="field-content" className="block text-sm font-medium text-slate-800 dark:text-slate-200">
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
            hidden={enhanced}
            className="block w-full rounded-md border-0 bg-slate-950 p-3 font-mono text-xs leading-relaxed text-slate-100 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600 dark:ring-slate-700"
          />
          <CodeEditor
            textareaId="field-content"
            path={props.path}
            schema={props.schema}
            environment={props.environment}
            labelledBy="content-label"
            describedBy="content-problems content-typing-problems"
            serverIssues={state.issues}
            serverText={state.values?.content}
            onReady={setEnhanced}
            onProblems={setTyping}
            onEdit={() => setEditedAfter(state)}
          />
          {enhanced ? (
            <p className="text-xs text-slate-500 dark:text-slate-400">
              Ctrl-F (⌘F) searches; Tab leaves the editor.
              {props.schema ? " Problems are marked at their line as you type; saving checks everything again." : null}
            </p>
          ) : null}
        </div>
        <aside className="space-y-3">
          {typing.length > 0 ? (
            <div id="content-typing-problems" className="space-y-1">
              <h2 className="text-sm font-semibold text-red-800 dark:text-red-300">Found while typing</h2>
              <ul className="space-y-1 text-xs text-red-800 dark:text-red-200">
                {typing.slice(0, 8).map((p, i) => (
                  <li key={`${p.line}-${i}`}>
                    <span className="font-semibold">Line {p.line}:</span> {p.message}
                  </li>
                ))}
                {typing.length > 8 ? <li>…and {typing.length - 8} more</li> : null}
              </ul>
            </div>
          ) : null}
          <div id="content-problems" aria-live="polite" className="space-y-2">
            {problems.length > 0 ? (
              <>
                <h2 className="text-sm font-semibold text-red-800 dark:text-red-300">
                  {stale ? "Problems of the refused save" : "Problems"}
                </h2>
                {stale ? (
                  <p className="text-xs text-slate-600 dark:text-slate-400">The text has changed since; saving checks it again.</p>
                ) : null}
                <ul className={`space-y-2 text-sm${stale ? " opacity-70" : ""}`}>
                  {problems.map((issue, i) => (
                    <li
                      key={`${issue.path}-${i}`}
                      className="rounded-md bg-red-50 px-3 py-2 text-red-800 ring-1 ring-inset ring-red-200 dark:bg-red-950 dark:text-red-200 dark:ring-red-900"
                    >
                      {issue.path ? <code className="block break-all text-xs font-semibold">{issue.path}</code> : null}
                      {issue.message}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="text-xs text-slate-500 dark:text-slate-400">
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
