import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

// The editor's colours, light and dark. The page is dark when <html> has the `dark` class (the header's theme
// toggle: docs/architecture.md "Themes and accessibility"), so the dark palette is a `.dark &` rule overriding CSS
// variables: switching the theme needs no new editor. Colours are Tailwind's (slate, indigo, …) chosen for at least
// 4.5:1 contrast on their background (WCAG 2.1 AA).
const LIGHT = {
  "--cm-bg": "#ffffff",
  "--cm-fg": "#0f172a",
  "--cm-gutter-bg": "#f8fafc",
  "--cm-gutter-fg": "#64748b",
  "--cm-border": "#cbd5e1",
  "--cm-active": "#f1f5f9",
  "--cm-selection": "#c7d2fe",
  "--cm-match": "#fde68a",
  "--cm-keyword": "#7e22ce",
  "--cm-string": "#15803d",
  "--cm-number": "#b45309",
  "--cm-comment": "#64748b",
  "--cm-property": "#1d4ed8",
  "--cm-definition": "#4338ca",
  "--cm-special": "#0f766e",
  "--cm-invalid": "#b91c1c",
};
const DARK = {
  "--cm-bg": "#020617",
  "--cm-fg": "#e2e8f0",
  "--cm-gutter-bg": "#0f172a",
  "--cm-gutter-fg": "#94a3b8",
  "--cm-border": "#334155",
  "--cm-active": "#1e293b",
  "--cm-selection": "#3730a3",
  "--cm-match": "#854d0e",
  "--cm-keyword": "#d8b4fe",
  "--cm-string": "#86efac",
  "--cm-number": "#fcd34d",
  "--cm-comment": "#94a3b8",
  "--cm-property": "#93c5fd",
  "--cm-definition": "#a5b4fc",
  "--cm-special": "#5eead4",
  "--cm-invalid": "#fca5a5",
};

const frame = EditorView.theme({
  "&": {
    ...LIGHT,
    backgroundColor: "var(--cm-bg)",
    color: "var(--cm-fg)",
    fontSize: "0.75rem",
    border: "1px solid var(--cm-border)",
    borderRadius: "0.375rem",
    maxHeight: "70vh",
  },
  ".dark &": DARK,
  "&.cm-focused": { outline: "2px solid #4f46e5", outlineOffset: "1px" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.6", overflow: "auto" },
  ".cm-content": { caretColor: "var(--cm-fg)", minHeight: "18rem" },
  ".cm-gutters": { backgroundColor: "var(--cm-gutter-bg)", color: "var(--cm-gutter-fg)", borderRight: "1px solid var(--cm-border)" },
  ".cm-activeLine": { backgroundColor: "var(--cm-active)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--cm-active)", color: "var(--cm-fg)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground": {
    backgroundColor: "var(--cm-selection)",
  },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--cm-fg)" },
  ".cm-selectionMatch, .cm-searchMatch": { backgroundColor: "var(--cm-match)" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--cm-selection)", outline: "1px solid var(--cm-gutter-fg)" },
  "&.cm-focused .cm-nonmatchingBracket": { color: "var(--cm-invalid)" },
  ".cm-panels": { backgroundColor: "var(--cm-gutter-bg)", color: "var(--cm-fg)" },
  ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--cm-border)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--cm-border)" },
  ".cm-textfield": { backgroundColor: "var(--cm-bg)", color: "var(--cm-fg)", border: "1px solid var(--cm-border)" },
  ".cm-button": {
    backgroundImage: "none",
    backgroundColor: "var(--cm-active)",
    color: "var(--cm-fg)",
    border: "1px solid var(--cm-border)",
  },
  ".cm-tooltip": { backgroundColor: "var(--cm-bg)", color: "var(--cm-fg)", border: "1px solid var(--cm-border)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--cm-invalid)" },
});

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "var(--cm-keyword)" },
  { tag: [t.string, t.special(t.string), t.regexp], color: "var(--cm-string)" },
  { tag: [t.number, t.bool, t.null, t.atom, t.unit], color: "var(--cm-number)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--cm-comment)", fontStyle: "italic" },
  { tag: [t.propertyName], color: "var(--cm-property)" },
  { tag: [t.definition(t.variableName), t.function(t.definition(t.variableName)), t.className], color: "var(--cm-definition)" },
  { tag: [t.special(t.variableName), t.standard(t.variableName), t.function(t.variableName)], color: "var(--cm-special)" },
  { tag: [t.meta, t.processingInstruction], color: "var(--cm-comment)" },
  { tag: t.invalid, color: "var(--cm-invalid)" },
]);

/** The editor's look in both colour schemes: frame, gutters, selection, panels, and the syntax colours. */
export const editorTheme: Extension = [frame, syntaxHighlighting(highlight)];
