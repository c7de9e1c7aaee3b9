import AxeBuilder from "@axe-core/playwright";
import { codeEditor, editorReady, replaceEditorText } from "./code-editor";
import { expect, test, type Page } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";

// The configuration editor (issue 16; docs/architecture.md "The configuration editor"): CodeMirror with line
// numbers, search and highlighting; an unknown key typed into section.config.json is marked at its line before
// anything is saved; the server still checks the save and still refuses a stale one (a commit made through the REST
// API after the editor was opened) with the diff; without JavaScript the plain textarea still saves.

/** Creates a personal API token through Settings → API tokens and returns the value shown once. */
async function createToken(page: Page, name: string): Promise<string> {
  await page.goto("/settings/tokens");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const value = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
  expect(value).toMatch(/^ec_[A-Za-z0-9_-]{43}$/);
  return value;
}

/** axe-core's serious and critical violations on the page, one line each (rule, and the first element's selector). */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.passes.length).toBeGreaterThan(10);
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes[0]?.target.join(" ")} — ${v.nodes[0]?.failureSummary ?? ""}`);
}

/** The vertical centre of an element on the page (to tell which editor line a gutter marker sits on). */
async function middle(page: Page, selector: string, text?: string): Promise<number> {
  const locator = text === undefined ? page.locator(selector) : page.locator(selector, { hasText: new RegExp(`^${text}$`) });
  const box = await locator.first().boundingBox();
  expect(box, selector).not.toBeNull();
  return box!.y + box!.height / 2;
}

test("editor: highlighting, search, an unknown key marked at its line before saving, a stale save still refused", async ({
  browser,
  people,
  request,
}) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const page = await (await browser.newContext()).newPage();
  const owner = await people.signUp(page, `editor.${label}@example.com`);
  const accountId = await people.createAccount(owner, `Editor ${label}`);
  const appPath = await people.createApplication(owner, accountId, `www.editor-${label}.test`);
  const token = await createToken(page, "editor e2e");
  const edit = `${appPath}/environment/Production/edit`;

  await page.goto(edit);
  const original = await editorReady(page);
  await expect(codeEditor(page)).toHaveAttribute("data-language", "json");
  await expect(page.getByRole("textbox", { name: "section.config.json" })).toBeVisible();
  // Line numbers: one per line of the file.
  const lines = original.replace(/\n$/, "").split("\n").length;
  await expect(page.locator(".cm-lineNumbers .cm-gutterElement", { hasText: new RegExp(`^${lines}$`) })).toBeVisible();
  await snap(page, "editor-01-light");

  // Search (Ctrl-F) opens CodeMirror's search panel and marks the matches.
  await codeEditor(page).click();
  await page.keyboard.press("ControlOrMeta+f");
  const find = page.getByRole("textbox", { name: "Find" });
  await expect(find).toBeFocused();
  await page.keyboard.type("varnish");
  await expect(page.locator(".cm-searchMatch").first()).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(find).toBeHidden();

  // Bracket matching: with the cursor at the file's first "{", it and the last "}" are marked.
  await codeEditor(page).click();
  await page.keyboard.press("ControlOrMeta+Home");
  await expect(page.locator(".cm-matchingBracket")).toHaveCount(2);

  // Type an unknown key after the origin's address (the wizard writes protocol and port after it), as a person
  // would: end of that line, Enter, the key.
  const addressLine = original.split("\n").findIndex((line) => line.includes('"address"')) + 1;
  expect(addressLine).toBeGreaterThan(1);
  const keyLine = addressLine + 1;
  await page.locator(".cm-line", { hasText: '"address"' }).click();
  await page.keyboard.press("End");
  await page.keyboard.type('\n"colour": "blue",');
  await expect(page.locator('textarea[name="content"]')).toHaveValue(/"203\.0\.113\.7",\n\s+"colour": "blue",\n/);
  // Marked before saving: underlined in the text, a marker in the lint gutter on that very line, listed by line.
  await expect(page.locator(".cm-lintRange-error")).toHaveText('"colour"');
  await expect(page.locator(".cm-lint-marker-error")).toHaveCount(1);
  const marker = await middle(page, ".cm-lint-marker-error");
  const numbered = await middle(page, ".cm-lineNumbers .cm-gutterElement", String(keyLine));
  expect(Math.abs(marker - numbered)).toBeLessThan(3);
  await expect(page.getByText(`Line ${keyLine}: unknown key "colour" in environments.Production.origin`)).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${edit}$`));
  await snap(page, "editor-02-unknown-key-marked");

  // The server still checks the save: it refuses the key too, and the typed text stays in the editor.
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page.locator("#content-problems").getByText("environments.Production.origin.colour")).toBeVisible();
  await expect(page.locator(".cm-line", { hasText: '"colour": "blue"' })).toBeVisible();

  // What JSON Schema cannot say is the server's to judge (a loopback origin): nothing marked while typing, and once
  // the save is refused, its problem is marked at its line too.
  const loopback = JSON.parse(original);
  loopback.environments.Production.origin.address = "127.0.0.1";
  await replaceEditorText(page, JSON.stringify(loopback, null, 2) + "\n");
  await expect(page.getByText("Found while typing")).toBeHidden();
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page.locator("#content-problems").getByText("environments.Production.origin.address")).toBeVisible();
  await expect(page.locator(".cm-lintRange-error")).toHaveText('"address"');
  const refusedMarker = await middle(page, ".cm-lint-marker-error");
  expect(Math.abs(refusedMarker - (await middle(page, ".cm-lineNumbers .cm-gutterElement", String(addressLine))))).toBeLessThan(3);

  // A commit lands on the branch through the REST API after the editor was opened…
  const api = `/api/v1${appPath}/environment/Production/configuration`;
  const patched = await request.patch(api, {
    headers: { authorization: `Bearer ${token}`, "if-match": "*", "content-type": "application/json-patch+json" },
    data: JSON.stringify([{ op: "add", path: "/environments/Production/origin/host_header", value: "www.example.com" }]),
  });
  expect(patched.status(), await patched.text()).toBe(200);

  // …so saving what the editor holds (now valid: port 8443) is refused as stale, with the diff of that commit.
  const mine = JSON.parse(original);
  mine.environments.Production.origin.port = 8443;
  await replaceEditorText(page, JSON.stringify(mine, null, 2) + "\n");
  await expect(page.locator(".cm-lint-marker-error")).toHaveCount(0);
  // The refused save's problems stay listed, named as those of the text refused, not of this one.
  await expect(page.locator("#content-problems").getByRole("heading", { name: "Problems of the refused save" })).toBeVisible();
  await expect(page.locator("#content-problems")).toContainText("The text has changed since; saving checks it again.");
  await snap(page, "editor-02b-refused-then-edited");
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page.getByText("this environment changed since you opened the editor")).toBeVisible();
  const changes = page.getByRole("region", { name: "Changes since you opened the editor" });
  await expect(changes.locator('[data-diff="add"]', { hasText: '"host_header": "www.example.com"' })).toBeVisible();
  await expect(page.locator('textarea[name="content"]')).toHaveValue(/"port": 8443/);
  await expect(page.locator(".cm-line", { hasText: '"port": 8443' })).toBeVisible();
  await snap(page, "editor-03-stale");

  // Accessible in the light theme (axe-core: no serious or critical violation)…
  expect(await seriousViolations(page)).toEqual([]);
  // …and in the dark one, chosen with the header's toggle (System → Light → Dark): the editor follows it.
  const toggle = page.getByRole("button", { name: /^Theme: / });
  await toggle.click();
  await toggle.click();
  await expect(toggle).toHaveAccessibleName("Theme: Dark");
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  await expect(page.locator(".cm-editor")).toHaveCSS("background-color", "rgb(2, 6, 23)");
  expect(await seriousViolations(page)).toEqual([]);
  await snap(page, "editor-04-dark");
  await toggle.click(); // back to System (light in this browser)
  await expect(page.locator(".cm-editor")).toHaveCSS("background-color", "rgb(255, 255, 255)");

  // VCL is highlighted too: `sub` in the keyword colour, a string in the string colour.
  await page.goto(`${appPath}/environment/Production/edit?path=${encodeURIComponent("varnish/default.vcl")}`);
  await editorReady(page);
  await expect(codeEditor(page)).toHaveAttribute("data-language", "vcl");
  const recv = page.locator(".cm-line", { hasText: "sub vcl_recv {" });
  await expect(recv.locator("span", { hasText: /^sub$/ })).toHaveCSS("color", "rgb(126, 34, 206)");
  await expect(page.locator(".cm-line span", { hasText: /^"next-hop"$/ })).toHaveCSS("color", "rgb(21, 128, 61)");
  // Long lines scroll inside the editor: the page itself does not get wider than the window.
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await snap(page, "editor-05-vcl");
});

test("editor without JavaScript: the plain textarea saves a commit", async ({ browser, people }) => {
  const label = uniqueLabel();
  const withJs = await (await browser.newContext()).newPage();
  const owner = await people.signUp(withJs, `editor-nojs.${label}@example.com`);
  const accountId = await people.createAccount(owner, `Editor NoJS ${label}`);
  const appPath = await people.createApplication(owner, accountId, `www.editor-nojs-${label}.test`);
  const state = await withJs.context().storageState();

  const page = await (await browser.newContext({ javaScriptEnabled: false, storageState: state })).newPage();
  await page.goto(`${appPath}/environment/Production/edit`);
  const textarea = page.getByLabel("section.config.json");
  await expect(textarea).toBeVisible();
  await expect(page.locator(".cm-editor")).toHaveCount(0);
  const config = JSON.parse(await textarea.inputValue());
  config.environments.Production.origin.port = 8080;
  await textarea.fill(JSON.stringify(config, null, 2));
  await page.getByLabel("Commit message").fill("Port 8080 without JavaScript");
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page).toHaveURL(/\/environment\/Production\/history\?notice=saved/);
  await expect(page.getByText("Port 8080 without JavaScript").first()).toBeVisible();
});
