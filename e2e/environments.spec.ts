import { editorReady, replaceEditorText } from "./code-editor";
import { expect, test, type Page } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";

/** Creates an environment from the application page's "New environment" form; ends on the new environment's page. */
async function createEnvironment(page: Page, appPath: string, name: string, hostname: string): Promise<void> {
  await page.goto(appPath);
  const summary = page.getByText("+ New environment");
  if (await summary.isVisible()) await summary.click();
  await page.getByLabel("Environment name").fill(name);
  await page.getByLabel("Source environment").selectOption("Production");
  await page.getByRole("form", { name: "New environment" }).getByLabel("Hostname").fill(hostname);
  await page.getByRole("button", { name: "Create environment" }).click();
  await expect(page).toHaveURL(new RegExp(`${appPath}/environment/${name}$`));
}

/** Sets a hidden input of the first (or last) form holding it to `value` (replaying an action with another resource's id). */
async function forge(page: Page, name: string, value: string, pick: "first" | "last" = "first"): Promise<void> {
  await page
    .locator(`input[name="${name}"]`)
    [pick]()
    .evaluate((input, v) => ((input as HTMLInputElement).value = v), value);
}

// An owner creates Staging with its own hostname, edits its origin port in the browser (an invalid value is
// refused with its key path; a stale save shows what changed), reads the history, compares with Production and
// promotes: Production then holds the change; deleting Staging frees its hostname. A non-member gets 404 and "not found"; a viewer sees no buttons and
// is refused when replaying the actions.
test("environments: create, edit, history, compare, promote; viewers and non-members cannot", async ({ browser, people }) => {
  test.setTimeout(180_000); // about 60 steps: ~2 min on a loaded 2-core machine
  const label = uniqueLabel();
  const ownerContext = await browser.newContext();
  const page = await ownerContext.newPage();
  const owner = await people.signUp(page, `env-owner.${label}@example.com`);
  const accountId = await people.createAccount(owner, `Env ${label}`);
  const appPath = await people.createApplication(owner, accountId, `www.env-${label}.test`);
  await page.goto(appPath);

  // Create: a name outside the rules is refused next to the field, then Staging is created.
  await expect(page.getByTestId("environment-Production")).toBeVisible();
  await page.getByLabel("Environment name").fill("qa-eu");
  await page.getByRole("form", { name: "New environment" }).getByLabel("Hostname").fill(`staging.env-${label}.test`);
  await page.getByRole("button", { name: "Create environment" }).click();
  await expect(page.getByText("The name cannot contain “-”")).toBeVisible();
  await expect(page.getByRole("form", { name: "New environment" }).getByLabel("Hostname")).toHaveValue(`staging.env-${label}.test`);
  await snap(page, "env-01-create-refused");
  await createEnvironment(page, appPath, "Staging", `staging.env-${label}.test`);
  await expect(page.getByTestId(`domain-staging.env-${label}.test`)).toBeVisible();
  await expect(page.getByLabel("section.config.json", { exact: true })).toContainText('"Staging"');
  await snap(page, "env-02-staging-created");
  const stagingId = await page.locator('input[name="environmentId"]').first().inputValue();
  await page.goto(appPath);
  await expect(page.getByTestId("environment-Staging")).toContainText(`staging.env-${label}.test`);
  await expect(page.getByTestId("environment-Staging")).toContainText("Pending");
  await snap(page, "env-03-application-environments");

  // Edit: an invalid port is refused with its key path, nothing saved; then port 8443 is saved as a commit.
  const stagingPath = `${appPath}/environment/Staging`;
  await page.goto(`${stagingPath}/edit`);
  const editor = page.locator('textarea[name="content"]');
  const original = JSON.parse(await editorReady(page));
  const config = structuredClone(original);
  config.environments.Staging.origin.port = "eighty";
  await replaceEditorText(page, JSON.stringify(config, null, 2));
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page.getByText("environments.Staging.origin.port")).toBeVisible();
  await expect(editor).toHaveValue(/"eighty"/);
  await snap(page, "env-04-edit-invalid");
  config.environments.Staging.origin.port = 8443;
  await replaceEditorText(page, JSON.stringify(config, null, 2));
  await page.getByLabel("Commit message").fill("Use port 8443 on Staging");
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page).toHaveURL(/\/environment\/Staging\/history\?notice=saved/);

  // History: the commit by the user, with its diff.
  const history = page.getByRole("list", { name: "History of Staging" });
  await expect(history.locator("li").first()).toContainText("Use port 8443 on Staging");
  await expect(history.locator("li").first()).toContainText(`env-owner.${label}@example.com`);
  await expect(history.locator("li").nth(1)).toContainText("Create environment Staging from Production");
  await history.locator("li").first().getByText("Show diff").click();
  await expect(history.locator("li").first().locator('[data-diff="add"]', { hasText: '"port": 8443' })).toBeVisible();
  await snap(page, "env-05-history");

  // A stale save: the editor was opened before another change; saving is refused with the diff of that change.
  await page.goto(`${stagingPath}/edit`);
  const stalePage = await ownerContext.newPage();
  await stalePage.goto(`${stagingPath}/edit?path=varnish/default.vcl`);
  await replaceEditorText(stalePage, (await editorReady(stalePage)).replace(".first_byte_timeout = 60s;", ".first_byte_timeout = 90s;"));
  await stalePage.getByRole("button", { name: "Save as a commit" }).click();
  await expect(stalePage).toHaveURL(/notice=saved/);
  await stalePage.close();
  const mine = JSON.parse(await editorReady(page));
  mine.environments.Staging.origin.host_header = "www.example.com";
  await replaceEditorText(page, JSON.stringify(mine, null, 2));
  await page.getByRole("button", { name: "Save as a commit" }).click();
  await expect(page.getByText("this environment changed since you opened the editor")).toBeVisible();
  const changes = page.getByRole("region", { name: "Changes since you opened the editor" });
  await expect(changes.locator('[data-diff="add"]', { hasText: ".first_byte_timeout = 90s;" })).toBeVisible();
  await expect(editor).toHaveValue(/host_header/);
  await snap(page, "env-06-edit-stale");

  // Odd input in URLs never gets a 500: unknown names are 404, odd parameters are ignored or explained.
  for (const [url, status] of [
    [`${appPath}/environment/%25/files`, 404],
    [`${appPath}/environment/--upload-pack=x/history`, 404],
    [`${appPath}/environment/Nope/compare`, 404],
    [`${stagingPath}/files?path=../../etc/passwd`, 200],
    [`${stagingPath}/edit?path=nope.txt`, 200],
    [`${stagingPath}/history?page=-3`, 200],
    [`${stagingPath}/compare?with=Nope&with=x`, 200],
    [`${appPath}/environment/staging/files`, 200],
  ] as const) {
    expect((await page.goto(url))?.status(), url).toBe(status);
  }

  // Compare with Production and promote.
  await page.goto(`${stagingPath}/compare`);
  await expect(page.getByRole("heading", { name: "Staging compared with Production" })).toBeVisible();
  const promotion = page.locator("section", { has: page.getByRole("heading", { name: "Promote Staging to Production" }) });
  await expect(promotion.locator('[data-diff="add"]', { hasText: '"port": 8443' })).toBeVisible();
  await snap(page, "env-07-compare");
  await page.getByRole("button", { name: "Promote to Production" }).click();
  await expect(page).toHaveURL(/\/environment\/Production\/history\?notice=promoted/);
  const production = page.getByRole("list", { name: "History of Production" });
  await expect(production.locator("li").first()).toContainText("Staging merged to Production");
  await expect(production.locator("li").first()).toContainText("merge");
  await snap(page, "env-08-promoted-history");
  await page.goto(appPath);
  await expect(page.getByLabel("section.config.json", { exact: true })).toContainText('"port": 8443');
  await snap(page, "env-09-production-after-promote");

  // Another user: first not a member (404 pages, "not found" replays), then a viewer (no buttons, refused replays).
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  const otherEmail = `env-other.${label}@example.com`;
  const otherUser = await people.signUp(other, otherEmail);
  const ownAccount = await people.createAccount(otherUser, `Other ${label}`);
  const ownApp = await people.createApplication(otherUser, ownAccount, `www.env-other-${label}.test`);
  await createEnvironment(other, ownApp, "Staging", `staging.env-other-${label}.test`);
  for (const sub of ["", "/files", "/edit", "/history", "/compare"]) {
    const response = await other.goto(`${stagingPath}${sub}`);
    expect(response?.status(), `${stagingPath}${sub}`).toBe(404);
  }
  const ownStaging = `${ownApp}/environment/Staging`;
  const victimAppId = appPath.split("/").at(-1)!;
  const replays = async (expected: RegExp) => {
    await other.goto(ownApp);
    await other.getByText("+ New environment").click();
    await forge(other, "applicationId", victimAppId);
    await other.getByLabel("Environment name").fill("Forged");
    await other.getByRole("form", { name: "New environment" }).getByLabel("Hostname").fill(`forged.env-${label}.test`);
    await other.getByRole("button", { name: "Create environment" }).click();
    await expect(other.getByText(expected).first()).toBeVisible();

    await other.goto(ownStaging);
    await forge(other, "environmentId", stagingId, "last"); // the delete form (Add domain holds one too)
    await other.getByLabel("Type Staging to confirm").fill("Staging");
    await other.getByRole("button", { name: "Delete environment" }).click();
    await expect(other.getByText(expected).first()).toBeVisible();

    await other.goto(`${ownStaging}/edit`);
    await replaceEditorText(other, "{}"); // once the editor is up, the page is hydrated: the forged id stays
    await forge(other, "environmentId", stagingId);
    await other.getByRole("button", { name: "Save as a commit" }).click();
    await expect(other.getByText(expected).first()).toBeVisible();

    await other.goto(`${ownStaging}/compare`);
    await forge(other, "environmentId", stagingId);
    await other.getByRole("button", { name: "Promote to Production" }).click();
    await expect(other.getByText(expected).first()).toBeVisible();
  };
  await replays(/Not found: it does not exist/);

  await people.addMembership(otherEmail, accountId, "viewer");
  await other.goto(stagingPath);
  await expect(other.getByTestId(`domain-staging.env-${label}.test`)).toBeVisible();
  await expect(other.getByRole("button", { name: "Delete environment" })).toHaveCount(0);
  await expect(other.getByRole("link", { name: "Edit configuration" })).toHaveCount(0);
  await other.goto(`${stagingPath}/history`);
  await expect(other.getByRole("list", { name: "History of Staging" })).toBeVisible();
  await expect(other.getByRole("button", { name: /^Revert/ })).toHaveCount(0);
  await other.goto(`${stagingPath}/compare`);
  await expect(other.getByRole("heading", { name: "Promote Staging to Production" })).toBeVisible();
  await expect(other.getByRole("button", { name: "Promote to Production" })).toHaveCount(0);
  await other.goto(`${stagingPath}/edit`);
  await expect(other.getByText("Your role in this account (Viewer) cannot edit the configuration")).toBeVisible();
  await other.goto(appPath);
  await expect(other.getByText("+ New environment")).toHaveCount(0);
  await snap(other, "env-10-viewer");
  await replays(/Your role in this account \(Viewer\) cannot/);

  // Nothing the others tried changed the owner's environments.
  await page.goto(`${stagingPath}/history`);
  await expect(page.getByRole("list", { name: "History of Staging" }).locator("li").first()).toContainText("Update varnish/default.vcl");
  await page.goto(`${appPath}/environment/Production/history`);
  await expect(page.getByRole("list", { name: "History of Production" }).locator("li").first()).toContainText(
    "Staging merged to Production",
  );
  await page.goto(appPath);
  await expect(page.getByTestId("environment-Staging")).toBeVisible();
  await expect(page.getByTestId("environment-Forged")).toHaveCount(0);

  // Revert from the history: a new commit undoing the change.
  await page.goto(`${stagingPath}/history`);
  await page.getByRole("button", { name: "Revert “Update varnish/default.vcl”" }).click();
  await expect(page.getByText(/Reverted as a new commit [0-9a-f]{7}\./)).toBeVisible();
  const reverted = page.getByRole("list", { name: "History of Staging" }).locator("li").first();
  await expect(reverted).toContainText('Revert "Update varnish/default.vcl"');
  await reverted.getByText("Show diff").click();
  await expect(reverted.locator('[data-diff="del"]', { hasText: ".first_byte_timeout = 90s;" })).toBeVisible();
  await snap(page, "env-11-reverted");

  // Delete: the typed name must match; then Staging is gone and its hostname is free for a new environment.
  await page.goto(stagingPath);
  await page.getByLabel("Type Staging to confirm").fill("staging");
  await page.getByRole("button", { name: "Delete environment" }).click();
  await expect(page.getByText("Type Staging exactly to confirm.")).toBeVisible();
  await page.getByLabel("Type Staging to confirm").fill("Staging");
  await page.getByRole("button", { name: "Delete environment" }).click();
  await expect(page).toHaveURL(new RegExp(`${appPath}$`));
  await expect(page.getByTestId("environment-Staging")).toHaveCount(0);
  await snap(page, "env-12-deleted");
  await createEnvironment(page, appPath, "Preview", `staging.env-${label}.test`);
  await expect(page.getByTestId(`domain-staging.env-${label}.test`)).toBeVisible();

  await ownerContext.close();
  await otherContext.close();
});
