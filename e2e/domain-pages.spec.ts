import { addBulkDomains } from "./db";
import { expect, test } from "./fixtures";
import { E2E } from "./env";
import { snap, uniqueLabel } from "./helpers";

// An environment with many domains (docs/product.md §3.5): the application page lists them a page at a time in
// hostname order, finds them by the start of the hostname (normalised like /ops), and loads a domain's records and
// last check only when its details are opened; a short list keeps every domain's details in place.
test("domain list: pages, search by hostname prefix, details loaded when opened", async ({ page, people }) => {
  const label = uniqueLabel();
  const www = `www.pages-${label}.test`;
  const owner = await people.signUp(page, `pages.${label}@example.com`);
  const accountId = await people.createAccount(owner, `Pages ${label}`);
  const appPath = await people.createApplication(owner, accountId, www);
  await addBulkDomains(www, `pages-${label}.test`, 40); // zz-bulk-000 … zz-bulk-039, after www in hostname order

  await page.goto(appPath);
  const panels = page.locator('article[data-testid^="domain-"]');
  await expect(panels).toHaveCount(25);
  await expect(page.getByTestId("domain-count")).toContainText("41 domains");
  await expect(panels.first()).toHaveAttribute("data-testid", `domain-${www}`);
  // Long list: records and last check are not in the page until opened.
  const first = page.getByTestId(`domain-${www}`);
  await expect(first.locator("table")).toHaveCount(0);
  await first.getByText("DNS records and last check").click();
  await expect(first.locator("table").first()).toContainText(`${www}.${E2E.edgeCnameSuffix}`);
  await expect(first.getByRole("button", { name: `Copy: ${www}.${E2E.edgeCnameSuffix}` })).toBeVisible();
  await snap(page, "pages-01-first-page-details");

  // Verify now on an opened panel: the badge and the loaded details follow the new check.
  await first.getByRole("button", { name: "Verify now" }).click();
  await expect(first.locator("[data-status]").first()).toHaveText("Not found");
  await expect(first.getByRole("region", { name: "Last check" }).locator("dd").first()).toHaveText(`${www} does not exist (NXDOMAIN)`);

  // Next page, then back.
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(panels).toHaveCount(16);
  await expect(panels.first()).toHaveAttribute("data-testid", `domain-zz-bulk-024.pages-${label}.test`);
  await expect(page.getByRole("link", { name: "Next →" })).toHaveCount(0);
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(panels).toHaveCount(25);
  await expect(panels.first()).toHaveAttribute("data-testid", `domain-${www}`);

  // Search by prefix (a pasted URL in capitals is normalised): few matches show their details in place.
  await page.getByLabel("Hostname starts with").fill(`HTTPS://ZZ-BULK-03`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(panels).toHaveCount(10);
  await expect(page.getByTestId("domain-count")).toContainText("10 of 41 domains start with “zz-bulk-03”");
  await expect(page.getByTestId(`domain-zz-bulk-030.pages-${label}.test`).locator("table").first()).toContainText(
    `zz-bulk-030.pages-${label}.test.${E2E.edgeCnameSuffix}`,
  );
  await snap(page, "pages-02-search");
  await page.getByLabel("Hostname starts with").fill("no such/host");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("#domain-search-error")).toContainText("Search by the start of a hostname");
});
