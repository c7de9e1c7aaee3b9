import { expect, test } from "@playwright/test";
import { createAccount, dns, linkFromMail, snap, uniqueLabel } from "./helpers";
import { E2E } from "./env";

test("a new user takes a website from signup to a Live domain", async ({ page }) => {
  const label = uniqueLabel();
  const hostname = `www.${label}.test`;
  const cnameTarget = `${hostname}.${E2E.edgeCnameSuffix}`;

  // Sign up: signed in at once, sent to create an account (organization).
  await page.goto("/signup");
  await snap(page, "01-signup");
  await page.getByLabel("Email").fill(`  Person.${label}@Example.COM `);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/account\/new$/);
  await expect(page.getByText("An account is the organization that owns your applications")).toBeVisible();
  await snap(page, "02-account-new");
  // …and mailed a link to verify the address (followed in e2e/mail.spec.ts).
  expect(await linkFromMail(`person.${label}@example.com`, "/verify-email/")).toMatch(/^\/verify-email\/[A-Za-z0-9_-]+$/);
  const accountId = await createAccount(page, `Acme ${label}`);
  await expect(page.getByRole("heading", { name: `Acme ${label}` })).toBeVisible();
  await snap(page, "03-account-home-empty");

  // The wizard: hostname first (a pasted URL is reduced to its hostname), origin, stack, account, review.
  await page.getByRole("link", { name: "New application" }).click();
  await page.getByLabel("Hostname").fill(`https://${hostname.toUpperCase()}/some/path?q=1`);
  await snap(page, "04-wizard-hostname");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByText(`We took the hostname`)).toBeVisible();
  await expect(page.getByTestId("origin-hint")).toContainText("No A record was found");
  await page.getByLabel("Origin address").fill("127.0.0.1");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.locator("#field-address-error")).toContainText("loopback");
  await snap(page, "05-wizard-origin-refused");
  await page.getByLabel("Origin address").fill("203.0.113.7");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { name: "Proxy stack" })).toBeVisible();
  await expect(page.getByText("Empty: monitor my site first")).toBeVisible();
  await snap(page, "06-wizard-stack");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByLabel("Account", { exact: true })).toBeVisible();
  await snap(page, "07-wizard-account");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { name: "Review" })).toBeVisible();
  await expect(page.getByText("https://203.0.113.7:443")).toBeVisible();
  await snap(page, "08-wizard-review");
  await page.getByRole("button", { name: "Create application" }).click();
  await expect(page).toHaveURL(/\/account\/\d+\/application\/\d+$/);

  // The overview shows the record to create and the pending status.
  const domain = page.getByTestId(`domain-${hostname}`);
  await expect(domain.getByText(cnameTarget)).toBeVisible();
  await expect(domain.locator("[data-status]").first()).toHaveText("Pending");
  await expect(page.getByText(/\/git\/account\/\d+\/application\/\d+\/.+\.git/).first()).toBeVisible();
  await expect(page.getByText('"proxychain"')).toBeVisible();
  await snap(page, "09-overview-pending");

  // Not pointed yet: Verify now says the name does not exist.
  await domain.getByRole("button", { name: "Verify now" }).click();
  await expect(domain.locator("[data-status]").first()).toHaveText("Not found");
  await snap(page, "10-overview-not-found");

  // The customer sets the CNAME at their DNS provider; Verify now shows Live.
  await dns.set(hostname, [{ type: "CNAME", value: cnameTarget, ttl: 300 }]);
  await page.waitForTimeout(10_500); // Verify now is limited to once per 10 s per domain (SPEC §3.5).
  await domain.getByRole("button", { name: "Verify now" }).click();
  await expect(domain.locator("[data-status]").first()).toHaveText("Live");
  await snap(page, "11-overview-live");

  // The account home shows the application Live.
  await page.goto(`/account/${accountId}`);
  await expect(page.getByRole("list", { name: "Applications" }).locator("[data-status]")).toHaveText("Live");
  await expect(page.getByTestId("count-live")).toHaveText("1");
  await snap(page, "12-account-home-live");

  // The audit log records the creation and each go-live status change (not every check).
  await page.getByRole("link", { name: "Audit log" }).click();
  const log = page.getByRole("table");
  await expect(log.getByText("application.create")).toBeVisible();
  await expect(log.getByText("account.create")).toBeVisible();
  await expect(log.getByText("domain.status")).toHaveCount(2); // pending → nxdomain → live
  await page.getByLabel("Kind").selectOption("domain.status");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(log.getByText("application.create")).toHaveCount(0);
  await expect(log.locator("tbody tr").first()).toContainText(/to\s*live/);
  await snap(page, "13-audit-log");
});
