"use client";

import { useEffect, useEffectEvent, useRef } from "react";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, ensureSyntaxTree, foldGutter, foldKeymap, indentOnInput, syntaxTree } from "@codemirror/language";
import { forceLinting, linter, lintGutter, lintKeymap, type Diagnostic } from "@codemirror/lint";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { EditorState, StateEffect, Transaction, type Extension } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import type { JsonSchema } from "@/lib/section-config/json-schema";
import { lintSectionConfig, placeKeyPathIssues } from "./json-lint";
import { languageOf, loadLanguage } from "./languages";
import { editorTheme } from "./theme";

// Dispatched when the server's problems change: the lint runs again on an unchanged document.
const serverIssuesChanged = StateEffect.define<null>();

/** A problem the editor found while the user types: its 1-based line and the message shown there. */
export type EditorProblem = { line: number; message: string };

/** Props of {@link CodeEditor}. */
export type CodeEditorProps = {
  /** The id of the `<textarea>` the editor takes over: its text is the start, every change is written back to it. */
  textareaId: string;
  /** The file's repository path: picks the language (./languages.ts `languageOf`). */
  path: string;
  /** For `section.config.json`: the JSON Schema exported from the server's validator (lib/section-config/json-schema.ts). */
  schema?: JsonSchema;
  /** With `schema`: the branch's environment, whose block the file must hold. */
  environment?: string;
  /** The id of the element that labels the editor (the textarea's <label>). */
  labelledBy: string;
  /** Ids of elements describing the editor (the problem lists), or undefined. */
  describedBy?: string;
  /** Called with true once the editor is up (hide the textarea then), with false when it goes. */
  onReady: (ready: boolean) => void;
  /**
   * The server's problems of the last refused save of `section.config.json` (key path + message) and the text it
   * refused: marked at their lines too while the document is still that text (the checks JSON Schema cannot say).
   */
  serverIssues?: readonly { path: string; message: string }[];
  serverText?: string;
  /** Called after each check of a JSON file with the problems found, in line order. */
  onProblems?: (problems: EditorProblem[]) => void;
  /** Called when the user changes the text. */
  onEdit?: () => void;
};

/**
 * The configuration editor (docs/architecture.md "The configuration editor"): CodeMirror 6 with line numbers, code
 * folding, bracket matching, search (Ctrl/Cmd-F), undo history and highlighting for JSON, JavaScript, nginx and VCL;
 * JSON files are checked while typing (syntax, keys written twice and, for `section.config.json`, the exported JSON
 * Schema), each problem underlined and marked in the gutter at its line. It enhances a real `<textarea>` rather than
 * replacing the form field: the textarea keeps the text the form submits (and is what a browser without JavaScript
 * uses), so the server action, its checks and the stale-save refusal are unchanged. If the editor's code cannot load,
 * the textarea simply stays. Tab is left to move the focus (no keyboard trap, WCAG 2.1.2).
 */
export default function CodeEditor({
  textareaId,
  path,
  schema,
  environment,
  labelledBy,
  describedBy,
  serverIssues,
  serverText,
  onReady,
  onProblems,
  onEdit,
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<EditorView | null>(null);
  const server = useRef<{ issues: readonly { path: string; message: string }[]; text?: string }>({ issues: [] });
  const ready = useEffectEvent((up: boolean) => onReady(up));
  const report = useEffectEvent((problems: EditorProblem[]) => onProblems?.(problems));
  const edited = useEffectEvent(() => onEdit?.());
  // Compared by value: a re-render with an equal schema must not rebuild the editor (and lose undo history).
  const schemaJson = schema ? JSON.stringify(schema) : "";

  useEffect(() => {
    const textarea = document.getElementById(textareaId);
    const parent = host.current;
    if (!(textarea instanceof HTMLTextAreaElement) || !parent) return;
    const language = languageOf(path);
    const checked: JsonSchema | undefined = schemaJson ? JSON.parse(schemaJson) : undefined;
    let view: EditorView | null = null;
    let cancelled = false;

    const jsonLint: Extension =
      language === "json"
        ? [
            lintGutter(),
            linter(
              (v): Diagnostic[] => {
                const text = v.state.doc.toString();
                const tree = ensureSyntaxTree(v.state, v.state.doc.length, 1000) ?? syntaxTree(v.state);
                const problems = lintSectionConfig(text, tree, checked, checked ? environment : undefined);
                // Listed beside the editor: its own findings (the server's are listed there already).
                report(problems.map((p) => ({ line: v.state.doc.lineAt(p.from).number, message: p.message })));
                const refused = server.current;
                if (checked && refused.text === text) {
                  // The server's problems of this very text, where the editor's check found nothing at that place.
                  for (const p of placeKeyPathIssues(text, tree, refused.issues)) {
                    if (!problems.some((q) => q.from === p.from)) problems.push(p);
                  }
                }
                return problems
                  .sort((a, b) => a.from - b.from)
                  .map((p) => ({ from: p.from, to: p.to, severity: "error", message: p.message }));
              },
              {
                delay: 250,
                needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(serverIssuesChanged))),
              },
            ),
          ]
        : [];

    loadLanguage(language).then(
      (support) => {
        if (cancelled) return;
        view = new EditorView({
          parent,
          state: EditorState.create({
            doc: textarea.value,
            extensions: [
              lineNumbers(),
              highlightActiveLineGutter(),
              foldGutter(),
              jsonLint,
              highlightSpecialChars(),
              history(),
              drawSelection(),
              indentOnInput(),
              bracketMatching(),
              highlightActiveLine(),
              highlightSelectionMatches(),
              search({ top: true }),
              keymap.of([...searchKeymap, ...defaultKeymap, ...historyKeymap, ...foldKeymap, ...lintKeymap]),
              support,
              editorTheme,
              EditorView.contentAttributes.of({
                "aria-labelledby": labelledBy,
                ...(describedBy ? { "aria-describedby": describedBy } : {}),
                spellcheck: "false",
                autocapitalize: "off",
                autocorrect: "off",
                "data-language": language,
              }),
              // The form submits the textarea: keep it equal to the document.
              EditorView.updateListener.of((update) => {
                if (!update.docChanged) return;
                textarea.value = update.state.doc.toString();
                // Typing, deleting, pasting, undo/redo: every change the user makes carries a user event.
                if (update.transactions.some((t) => t.annotation(Transaction.userEvent) !== undefined)) edited();
              }),
            ],
          }),
        });
        editor.current = view;
        ready(true);
      },
      () => {
        // The language chunk did not load (offline, a deploy in between): the plain textarea stays usable.
      },
    );
    // Whatever else happens to the textarea (React resets the form after an action, with the text the server sent
    // back or, when it sent none, the text the page was opened with), the form submits the editor's document.
    const form = textarea.form;
    const onFormData = (event: FormDataEvent) => {
      if (view) event.formData.set(textarea.name, view.state.doc.toString());
    };
    const onReset = () =>
      setTimeout(() => {
        if (view) textarea.value = view.state.doc.toString();
      });
    form?.addEventListener("formdata", onFormData);
    form?.addEventListener("reset", onReset);
    return () => {
      cancelled = true;
      form?.removeEventListener("formdata", onFormData);
      form?.removeEventListener("reset", onReset);
      view?.destroy();
      editor.current = null;
      ready(false);
    };
  }, [textareaId, path, schemaJson, environment, labelledBy, describedBy]);

  // A refused save's problems: check again so they are marked (or cleared) at once.
  useEffect(() => {
    // The form sends line breaks as CRLF (HTML's multipart/form-data encoding); the document's are LF.
    server.current = { issues: serverIssues ?? [], text: serverText?.replace(/\r\n?/g, "\n") };
    if (editor.current) {
      editor.current.dispatch({ effects: serverIssuesChanged.of(null) });
      forceLinting(editor.current);
    }
  }, [serverIssues, serverText]);

  return <div ref={host} data-testid="code-editor" />;
}
