import { expect, test } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";
import { countChecks } from "./db";

// A viewer reads the account's applications but cannot create applications or verify domains, even by replaying
// the actions of pages they can open; the role is read from the database on each request.
test("a viewer can read but not change anything", async ({ browser, people }) => {
  const label = uniqueLabel();
  const ownerContext = await browser.newContext();
  const viewerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const viewer = await viewerContext.newPage();

  const ownerUser = await people.signUp(owner, `owner.${label}@example.com`);
  const accountId = await people.createAccount(ownerUser, `Team ${label}`);
  const hostname = `www.team-${label}.test`;
  const appPath = await people.createApplication(ownerUser, accountId, hostname);
  await owner.goto(appPath);

  const viewerEmail = `viewer.${label}@example.com`;
  const viewerUser = await people.signUp(viewer, viewerEmail);
  const ownAccount = await people.createAccount(viewerUser, `Own ${label}`);
  const ownAppPath = await people.createApplication(viewerUser, ownAccount, `www.own-${label}.test`);
  await viewer.goto(ownAppPath);
  const ownDomainId = await viewer.locator('input[name="domainId"]').first().inputValue();
  await people.addMembership(viewerEmail, accountId, "viewer");

  // Reads: the account home and the application page, without the buttons that change things.
  await viewer.goto(`/account/${accountId}`);
  await expect(viewer.getByRole("link", { name: hostname })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "New application" })).toHaveCount(0);
  await viewer.goto(appPath);
  await expect(viewer.getByTestId(`domain-${hostname}`)).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Verify now" })).toHaveCount(0);
  await snap(viewer, "roles-viewer-application");

  // Replaying Verify now (from their own application's page) with the team's domain id is refused by role.
  const teamDomainId = await owner.locator('input[name="domainId"]').first().inputValue();
  await viewer.goto(ownAppPath);
  expect(ownDomainId).not.toBe(teamDomainId);
  await viewer
    .locator('input[name="domainId"]')
    .first()
    .evaluate((input, id) => ((input as HTMLInputElement).value = id), teamDomainId);
  await viewer.getByRole("button", { name: "Verify now" }).first().click();
  await expect(viewer.getByText("Your role in this account (Viewer) cannot verify domains")).toBeVisible();
  expect(await countChecks(hostname)).toBe(0);

  // The wizard does not offer the team account, and the server refuses it if sent anyway.
  await viewer.goto(`/account/${accountId}/application/new`);
  await viewer.getByLabel("Hostname").fill(`shop.team-${label}.test`);
  await viewer.getByRole("button", { name: "Continue" }).click();
  await viewer.getByLabel("Origin address").fill("203.0.113.8");
  await viewer.getByRole("button", { name: "Continue" }).click();
  await viewer.getByRole("button", { name: "Continue" }).click();
  const accountSelect = viewer.getByLabel("Account", { exact: true });
  await expect(accountSelect.locator(`option[value="${accountId}"]`)).toHaveCount(0);
  await accountSelect.evaluate((select, id) => {
    const option = document.createElement("option");
    option.value = id;
    option.textContent = "forged";
    (select as HTMLSelectElement).append(option);
  }, String(accountId));
  await accountSelect.selectOption(String(accountId));
  await viewer.getByRole("button", { name: "Continue" }).click();
  await expect(viewer.getByText("Your role in this account (Viewer) cannot create applications")).toBeVisible();

  await ownerContext.close();
  await viewerContext.close();
});
