import { addBulkDomains, addPastSnapshots, ageLastCheck, countChecks, countDomains } from "./db";
import { E2E } from "./env";
import { expect, test, type Page } from "./fixtures";
import { dns, linkFromMail, snap, uniqueLabel } from "./helpers";

// The operator view /ops (SPEC §3.5): only a verified address listed in OPERATOR_EMAILS (set by e2e/serve.ts) may
// open it; the operator sees every account's domains, counts, filters, pages, checks a selection with progress, and
// sees a live domain that stopped pointing at the edge flagged.
const [OPERATOR, UNVERIFIED_OPERATOR] = E2E.operatorEmails;

const row = (page: Page, hostname: string) => page.getByTestId(`ops-row-${hostname}`);
const count = (page: Page, status: string) => page.locator(`[data-count="${status}"]`);

test("a non-operator and an operator address that is not verified get 404 at /ops", async ({ browser, people }) => {
  const someone = await (await browser.newContext()).newPage();
  await people.signUp(someone, `not-ops.${uniqueLabel()}@example.com`);
  for (const path of ["/ops", "/ops/log", "/ops?status=live"]) {
    expect((await someone.goto(path))?.status(), path).toBe(404);
    await expect(someone.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
  await someone.goto("/account/new");
  await expect(someone.getByRole("link", { name: "Operations" })).toHaveCount(0);

  const unverified = await (await browser.newContext()).newPage();
  await people.signUp(unverified, UNVERIFIED_OPERATOR);
  expect((await unverified.goto("/ops"))?.status()).toBe(404);
  await expect(unverified.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(unverified.getByRole("link", { name: "Operations" })).toHaveCount(0);
});

test("operator: counts, filters, pages, Verify now with progress, and a flagged domain", async ({ browser, people }) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const zone = `ops-${label}.test`;
  const [live, moved, wrong, other] = [`www.${zone}`, `shop.${zone}`, `blog.${zone}`, `app.other-${label}.test`];

  // Another user's account, of which the operator is not a member.
  const stranger = await (await browser.newContext()).newPage();
  const strangerUser = await people.signUp(stranger, `stranger.${label}@example.com`);
  const strangerAccount = await people.createAccount(strangerUser, `Stranger ${label}`);
  await people.createApplication(strangerUser, strangerAccount, other);

  // The operator signs up and verifies the address from the mail.
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const operator = await people.signUp(page, OPERATOR);
  await people.mailVerificationLink(operator); // as signup does
  await page.goto(await linkFromMail(OPERATOR, "/verify-email/"));
  await expect(page.getByRole("heading", { name: "Email address verified" })).toBeVisible();
  const account = await people.createAccount(operator, `Ops ${label}`);
  for (const hostname of [live, moved, wrong]) await people.createApplication(operator, account, hostname);
  // /ops searches platform-wide: a prefix of this run's own, so other specs' bulk domains never share its pages.
  const bulk = `zz-${label}-`;
  await addBulkDomains(live, zone, 60, bulk);
  await page.goto(`/account/${account}`);

  await page.getByRole("link", { name: "Operations" }).click();
  await expect(page).toHaveURL(/\/ops$/);
  await expect(page.getByRole("heading", { name: "Operations" })).toBeVisible();
  const total = await countDomains();
  await expect(count(page, "total")).toHaveText(total.toLocaleString("en-US"));
  await expect(count(page, "pending")).toHaveText((await countDomains({ status: "pending" })).toLocaleString("en-US"));

  // Search by the start of a hostname (typed in capitals, normalised): 60 domains, 50 on the first page, Next, Previous.
  await page.getByLabel("Hostname starts with").fill(bulk.toUpperCase());
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`q=${bulk.toUpperCase()}`));
  await expect(page.getByLabel("Hostname starts with")).toHaveValue(bulk.toUpperCase());
  await expect(page.locator("tbody tr")).toHaveCount(50);
  await expect(page.locator("tbody tr").first()).toHaveAttribute("data-testid", `ops-row-${bulk}000.${zone}`);
  await page.getByRole("link", { name: "Next →" }).first().click();
  await expect(page.locator("tbody tr")).toHaveCount(10);
  await expect(page.locator("tbody tr").first()).toHaveAttribute("data-testid", `ops-row-${bulk}050.${zone}`);
  await page.getByRole("link", { name: "← Previous" }).first().click();
  await expect(page.locator("tbody tr")).toHaveCount(50);
  await expect(page.locator("tbody tr").last()).toHaveAttribute("data-testid", `ops-row-${bulk}049.${zone}`);

  // Filter by account id, then by status with the counters' links.
  await page.goto("/ops");
  await page.getByLabel("Account id").fill(String(strangerAccount));
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expect(row(page, other)).toContainText(`Stranger ${label}`);
  await expect(row(page, other).getByRole("link", { name: other })).toHaveCount(0); // not a member: name as text
  await page.getByLabel("Account id").fill("nope");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.locator("#ops-account-error")).toContainText("account id");

  // DNS as the customers set it: two point at the edge, one elsewhere. Select the three, Verify now.
  await dns.set(live, [{ type: "CNAME", value: `${live}.${E2E.edgeCnameSuffix}` }]);
  await dns.set(moved, [{ type: "CNAME", value: `${moved}.${E2E.edgeCnameSuffix}` }]);
  await dns.set(wrong, [{ type: "A", value: "203.0.113.50" }]);
  await page.goto(`/ops?q=${wrong}`);
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expect(row(page, wrong).locator("[data-status]")).toHaveText("Pending");
  await page.goto(`/ops?status=pending&account=${account}`);
  for (const hostname of [live, moved, wrong]) await page.getByLabel(`Select ${hostname}`).check();
  await expect(page.getByText("3 selected")).toBeVisible();
  const actionCall = page.waitForRequest((r) => r.method() === "POST" && !!r.headers()["next-action"]);
  await page.getByRole("button", { name: "Verify now" }).click();
  const call = await actionCall;
  await expect(page.getByRole("status").filter({ hasText: "checked" })).toHaveText("3 of 3 checked");
  await expect(page.getByRole("progressbar", { name: "Verify progress" })).toHaveAttribute("value", "3");
  const results = page.getByRole("list", { name: "Verify results" });
  await expect(results).toContainText(`${live}Pending → Live`);
  await expect(results).toContainText(`${wrong}Pending → Misconfigured`);
  await snap(page, "ops-01-verified");

  // The same server action replayed by a signed-in non-operator is refused on the server and checks nothing.
  await ageLastCheck(wrong); // past the 10 s limit: only the operator check can stop a new check
  const checksBefore = await countChecks(wrong);
  const replay = await stranger.request.post(call.url(), {
    headers: { "next-action": call.headers()["next-action"], "content-type": call.headers()["content-type"] ?? "text/plain;charset=UTF-8" },
    data: call.postData() ?? "",
  });
  expect(await replay.text()).toContain("Not found: it does not exist or you do not have access to it.");
  expect(await countChecks(wrong)).toBe(checksBefore);

  // The table (refreshed) shows the new statuses; the pending filter no longer lists them.
  await expect(row(page, live)).toHaveCount(0);
  await page.goto(`/ops?account=${account}`);
  await expect(row(page, live).locator("[data-status]")).toHaveText("Live");
  await expect(row(page, moved).locator("[data-status]")).toHaveText("Live");
  await expect(row(page, wrong).locator("[data-status]")).toHaveText("Misconfigured");
  await expect(row(page, wrong).locator("[data-flagged]")).toHaveCount(0);

  // The live shop domain is pointed elsewhere: the next check finds it misconfigured and flags it.
  await dns.set(moved, [{ type: "CNAME", value: "elsewhere.example.net" }]);
  await dns.set("elsewhere.example.net", [{ type: "A", value: "203.0.113.77" }]);
  await ageLastCheck(moved);
  await page.getByLabel(`Select ${moved}`).check();
  await page.getByRole("button", { name: "Verify now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "checked" })).toHaveText("1 of 1 checked");
  await expect(results).toContainText(`${moved}Live → Misconfigured`);
  await page
    .getByRole("link", { name: /Flagged/ })
    .first()
    .click();
  await expect(page).toHaveURL(/status=flagged/);
  await expect(row(page, moved).locator("[data-flagged]")).toHaveText("⚑ Flagged");
  await expect(row(page, moved).locator("[data-status]")).toHaveText("Misconfigured");
  await expect(count(page, "flagged")).toHaveText((await countDomains({ flagged: true })).toLocaleString("en-US"));
  await expect(row(page, moved).getByRole("link", { name: moved })).toBeVisible(); // a member: the application links

  // Checked moments ago: a second press inside 10 s is refused per domain.
  await page.getByLabel(`Select ${moved}`).check();
  await page.getByRole("button", { name: "Verify now" }).click();
  await expect(results).toContainText(/checked moments ago; again in \d+ s/);

  // The full page at 1280 px and at 375 px (no sideways scrolling of the page itself).
  await addPastSnapshots();
  await page.goto(`/ops`);
  await expect(page.getByRole("img", { name: /Live and non-live domains per day/ })).toBeVisible();
  await snap(page, "ops-02-desktop");
  await page.screenshot({ path: `${E2E.screenshots}/ops-02b-desktop-top.png` });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`/ops?account=${account}`);
  await expect(row(page, moved)).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await snap(page, "ops-03-mobile");
  await page.screenshot({ path: `${E2E.screenshots}/ops-03b-mobile-top.png` });
  await row(page, moved).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${E2E.screenshots}/ops-03c-mobile-table.png` });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Every bulk call is in the operator log.
  await page.goto("/ops/log");
  const newest = page.getByTestId("operator-event").first();
  await expect(newest).toContainText(OPERATOR);
  await expect(newest).toContainText(`${moved}: not checked (checked moments ago)`);
  await expect(page.getByText(`${wrong}: checked (Misconfigured)`)).toBeVisible();
  await expect(page.getByRole("link", { name: "Older →" })).toHaveCount(0); // fewer than 51 events: no empty next page
  await snap(page, "ops-04-log");
  await page.setViewportSize({ width: 375, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await snap(page, "ops-04b-log-375");
  await page.setViewportSize({ width: 1280, height: 900 });

  // Live updates: with the toggle on, a domain that goes live through a check made elsewhere (a second tab) turns
  // Live on this page without a reload.
  await page.goto(`/ops?account=${account}`);
  await expect(row(page, wrong).locator("[data-status]")).toHaveText("Misconfigured");
  await page.getByLabel(/Live updates/).check();
  await dns.set(wrong, [{ type: "CNAME", value: `${wrong}.${E2E.edgeCnameSuffix}` }]);
  await ageLastCheck(wrong);
  const elsewhere = await page.context().newPage();
  await elsewhere.goto(`/ops?q=${wrong}`);
  await elsewhere.getByLabel(`Select ${wrong}`).check();
  await elsewhere.getByRole("button", { name: "Verify now" }).click();
  await expect(elsewhere.getByRole("list", { name: "Verify results" })).toContainText(`${wrong}Misconfigured → Live`);
  await elsewhere.close();
  await expect(row(page, wrong).locator("[data-status]")).toHaveText("Live", { timeout: 25_000 });
  await expect(page.getByText(/refreshed \d\d:\d\d:\d\d UTC/)).toBeVisible();
});
