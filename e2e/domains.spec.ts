import { expect, test, type Page } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";

/** Opens "Add domain" on the current environment page and submits `hostname`. */
async function addDomain(page: Page, hostname: string): Promise<void> {
  const summary = page.getByText("+ Add domain");
  if (await summary.isVisible()) await summary.click();
  const form = page.getByRole("form", { name: "Add domain" });
  await form.getByLabel("Hostname").fill(hostname);
  await form.getByRole("button", { name: "Add domain" }).click();
}

// Two accounts want the same hostname: the first adds it (normalised) to an environment, the second gets a claim
// with the TXT record to publish; once the first removes it (after confirming), the second can add it.
test("domains: add (normalised, unique platform-wide) and remove on an environment", async ({ browser, people }) => {
  const label = uniqueLabel();
  const shop = `shop.dom-${label}.test`;
  const a = await (await browser.newContext()).newPage();
  const userA = await people.signUp(a, `dom-a.${label}@example.com`);
  const accountA = await people.createAccount(userA, `Dom A ${label}`);
  const appA = await people.createApplication(userA, accountA, `www.dom-a-${label}.test`);
  await a.goto(appA);

  // Refused input stays in the field with its message; a pasted, upper-case name is normalised.
  await addDomain(a, `*.dom-${label}.test`);
  await expect(a.locator("#add-domain-hostname-error")).toContainText(/wildcard/i);
  await expect(a.getByRole("form", { name: "Add domain" }).getByLabel("Hostname")).toHaveValue(`*.dom-${label}.test`);
  // Another customer's CNAME target (under the edge's own suffix) is not a website's hostname.
  await addDomain(a, `www.dom-b-${label}.test.edge.localhost`);
  await expect(a.locator("#add-domain-hostname-error")).toContainText("is under the edge's own domain (edge.localhost)");
  await expect(a.locator("#add-domain-hostname-error")).toContainText("use your website's hostname");
  await snap(a, "dom-00-edge-domain-refused");
  await addDomain(a, `https://${shop.toUpperCase()}./path`);
  const panel = a.getByTestId(`domain-${shop}`);
  await expect(panel).toBeVisible();
  await expect(panel.locator("[data-status]").first()).toHaveText("Pending");
  await expect(panel.getByText(`${shop}.edge.localhost`)).toBeVisible();
  await snap(a, "dom-01-added");

  // Its check history: one row per check, a status change highlighted.
  await panel.getByRole("button", { name: "Verify now" }).click();
  await expect(panel.locator("[data-status]").first()).toHaveText("Not found");
  await panel.getByRole("link", { name: "Check history" }).click();
  await expect(a.getByRole("heading", { name: `Check history of ${shop}` })).toBeVisible();
  const rows = a.locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-changed", "true");
  await expect(rows.first()).toContainText("Not found");
  await expect(rows.first()).toContainText("was Pending");
  await snap(a, "dom-01b-history");
  await a.goto(appA);

  // Another account cannot take it outright: its add becomes a claim with the TXT record to publish (docs/product.md
  // §3.5), not an error page.
  const b = await (await browser.newContext()).newPage();
  const userB = await people.signUp(b, `dom-b.${label}@example.com`);
  const accountB = await people.createAccount(userB, `Dom B ${label}`);
  await b.goto(await people.createApplication(userB, accountB, `www.dom-b-${label}.test`));
  await addDomain(b, shop);
  await expect(b.getByText(`${shop} is used by another account.`)).toBeVisible();
  await expect(b.getByTestId(`claim-${shop}`)).toContainText(`_edge-challenge.${shop}`);
  await expect(b.getByTestId(`domain-${shop}`)).toHaveCount(0);
  await snap(b, "dom-02-taken");

  // Remove asks first; Cancel keeps it; confirming frees the hostname.
  await panel.getByRole("button", { name: "Remove", exact: true }).click();
  await panel.getByRole("button", { name: "Cancel" }).click();
  await expect(panel).toBeVisible();
  await panel.getByRole("button", { name: "Remove", exact: true }).click();
  await expect(panel.getByText(`Remove ${shop}?`)).toBeVisible();
  await panel.getByRole("button", { name: "Remove domain" }).click();
  await expect(a.getByTestId(`domain-${shop}`)).toHaveCount(0);
  await a.goto(appA);
  await expect(a.getByTestId(`domain-${shop}`)).toHaveCount(0);

  await addDomain(b, shop);
  await expect(b.getByTestId(`domain-${shop}`)).toBeVisible();
  await expect(b.getByTestId(`claim-${shop}`)).toHaveCount(0);

  // A viewer of account A sees no Add or Remove.
  const v = await (await browser.newContext()).newPage();
  await people.signUp(v, `dom-v.${label}@example.com`);
  await people.addMembership(`dom-v.${label}@example.com`, accountA, "viewer");
  await v.goto(appA);
  await expect(v.getByTestId(`domain-www.dom-a-${label}.test`)).toBeVisible();
  await expect(v.getByText("+ Add domain")).toHaveCount(0);
  await expect(v.getByRole("button", { name: "Remove", exact: true })).toHaveCount(0);
});

// An admin renames an application and deletes it (typed confirmation); its hostname becomes free for anyone.
// A developer sees the settings read-only.
test("application settings: rename, delete with typed confirmation frees the hostname", async ({ browser, people }) => {
  const label = uniqueLabel();
  const www = `www.appset-${label}.test`;
  const owner = await (await browser.newContext()).newPage();
  const ownerUser = await people.signUp(owner, `appset-o.${label}@example.com`);
  const accountId = await people.createAccount(ownerUser, `AppSet ${label}`);
  const appPath = await people.createApplication(ownerUser, accountId, www);
  await owner.goto(appPath);

  const dev = await (await browser.newContext()).newPage();
  await people.signUp(dev, `appset-d.${label}@example.com`);
  await people.addMembership(`appset-d.${label}@example.com`, accountId, "developer");
  await dev.goto(`${appPath}/settings`);
  await expect(dev.getByText("can view these settings but not change them")).toBeVisible();
  await expect(dev.getByRole("button", { name: "Delete application" })).toHaveCount(0);

  await owner.getByRole("link", { name: "Application settings" }).click();
  await expect(owner).toHaveURL(new RegExp(`${appPath}/settings$`));
  await owner.getByLabel("Application name").fill("   ");
  await owner.getByRole("button", { name: "Rename" }).click();
  await expect(owner.locator("#field-name-error")).toContainText("Enter a name");
  await owner.getByLabel("Application name").fill(`Shop ${label}`);
  await owner.getByRole("button", { name: "Rename" }).click();
  await expect(owner.getByRole("heading", { name: `Settings of Shop ${label}` })).toBeVisible();
  await snap(owner, "appset-01-renamed");
  await owner.goto(appPath);
  await expect(owner.getByRole("heading", { level: 1 })).toHaveText(`Shop ${label}`);

  await owner.goto(`${appPath}/settings`);
  await owner.getByLabel(`Type Shop ${label} to confirm`).fill(www);
  await owner.getByRole("button", { name: "Delete application" }).click();
  await expect(owner.locator("#field-confirmation-error")).toContainText("Type the application name exactly");
  await owner.getByLabel(`Type Shop ${label} to confirm`).fill(`Shop ${label}`);
  await owner.getByRole("button", { name: "Delete application" }).click();
  await expect(owner).toHaveURL(new RegExp(`/account/${accountId}$`));
  expect((await owner.goto(appPath))?.status()).toBe(404);

  // The hostname is free: another account creates an application with it.
  const other = await (await browser.newContext()).newPage();
  const otherUser = await people.signUp(other, `appset-x.${label}@example.com`);
  const otherAccount = await people.createAccount(otherUser, `Other ${label}`);
  await other.goto(await people.createApplication(otherUser, otherAccount, www));
  await expect(other.getByTestId(`domain-${www}`)).toBeVisible();
});
