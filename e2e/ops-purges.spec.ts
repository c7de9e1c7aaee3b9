import type { Page } from "@playwright/test";
import { E2E } from "./env";
import { expect, test } from "./fixtures";
import { linkFromMail, snap, uniqueLabel } from "./helpers";

// Purges at /ops/purges (docs/edge.md "Purge"): an owner purges a prefix on the environment page; the operator finds
// it among every account's purges with its account, application, environment, what and who, reached from
// /ops/edge; the owner (not an operator) gets 404 there.
const OPERATOR = E2E.operatorEmails[2];

/** Signs `page` in as the operator of e2e/ops-edge.spec.ts: signed up with a verified address there, or here. */
async function signInAsOperator(page: Page, people: typeof import("./people")) {
  const known = await people.findUser(OPERATOR);
  if (known) {
    const { id, email, name, sessionVersion } = known;
    await people.signIn(page, { id, email, name, sessionVersion, password: people.PASSWORD });
  }
  if (known?.emailVerifiedAt) return;
  const operator = known ? { ...known, password: people.PASSWORD } : await people.signUp(page, OPERATOR);
  await people.mailVerificationLink(operator);
  await page.goto(await linkFromMail(OPERATOR, "/verify-email/"));
  await expect(page.getByRole("heading", { name: "Email address verified" })).toBeVisible();
}

test("an owner's purge is listed for the operator at /ops/purges; the owner gets 404 there", async ({ browser, people }) => {
  const label = uniqueLabel();
  const hostname = `www.ops-purge-${label}.test`;
  const ownerPage = await (await browser.newContext()).newPage();
  const owner = await people.signUp(ownerPage, `ops-purge-owner.${label}@example.com`, { name: `Purging Owner ${label}` });
  const accountId = await people.createAccount(owner, `Ops purge ${label}`);
  const appPath = await people.createApplication(owner, accountId, hostname);
  await ownerPage.goto(`${appPath}/environment/Production`);
  const panel = ownerPage.getByTestId("purge-panel");
  await panel.getByRole("textbox", { name: "Path prefix" }).fill(`/img-${label}/`);
  await panel.getByRole("button", { name: "Purge prefix" }).click();
  await expect(panel.getByRole("status")).toBeVisible({ timeout: 40_000 });

  expect((await ownerPage.goto("/ops/purges"))?.status()).toBe(404);
  await expect(ownerPage.getByRole("heading", { name: "Page not found" })).toBeVisible();

  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signInAsOperator(page, people);
  await page.goto("/ops/edge");
  await page.getByRole("link", { name: "Purges →" }).click();
  await expect(page).toHaveURL(/\/ops\/purges$/);
  await expect(page.getByRole("heading", { name: "Purges", exact: true })).toBeVisible();
  const row = page
    .getByTestId("ops-purges")
    .locator("tbody tr")
    .filter({ hasText: `/img-${label}/` });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(`Ops purge ${label}`);
  await expect(row).toContainText(`#${accountId}`);
  await expect(row).toContainText(hostname);
  await expect(row).toContainText("Production");
  await expect(row).toContainText("Prefix");
  await expect(row).toContainText(`Purging Owner ${label}`);
  await snap(page, "ops-purges-01-list");
});
