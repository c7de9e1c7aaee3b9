import { expect, type Page } from "@playwright/test";

// Driving the configuration editor (components/editor/code-editor.tsx) the way a person does: CodeMirror hides the
// form's <textarea name="content"> and writes every change back to it, so tests type into the editor and read the
// textarea (what the form submits).

/** The editor's text area (CodeMirror's content element) on the edit page; it is up once this is visible. */
export function codeEditor(page: Page) {
  return page.locator(".cm-content");
}

/** Waits for CodeMirror to take over the textarea; returns the text the form holds. */
export async function editorReady(page: Page): Promise<string> {
  await expect(codeEditor(page)).toBeVisible();
  await expect(page.locator('textarea[name="content"]')).toBeHidden();
  return page.locator('textarea[name="content"]').inputValue();
}

/** Replaces the whole text in the editor (select all, then the text typed in as one input) and checks the form has it. */
export async function replaceEditorText(page: Page, text: string): Promise<void> {
  await editorReady(page);
  await codeEditor(page).click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
  await expect(page.locator('textarea[name="content"]')).toHaveValue(text);
}
