import { expect, test } from "./fixtures";
import { uniqueLabel } from "./helpers";

// User A owns an account with an application; user B is signed in but not a member: every page and action
// touching A's account, application, environment and domain answers 404 and changes nothing.
test("a non-member gets 404 for another account's pages and cannot verify its domains", async ({ browser, people }) => {
  const label = uniqueLabel();
  const victim = await browser.newContext();
  const attacker = await browser.newContext();
  const a = await victim.newPage();
  const b = await attacker.newPage();

  const userA = await people.signUp(a, `victim.${label}@example.com`);
  const accountA = await people.createAccount(userA, `Victim ${label}`);
  const appPathA = await people.createApplication(userA, accountA, `www.victim-${label}.test`);
  await a.goto(appPathA);
  const domainIdA = await a.locator('input[name="domainId"]').first().inputValue();

  const userB = await people.signUp(b, `attacker.${label}@example.com`);
  const accountB = await people.createAccount(userB, `Attacker ${label}`);
  const appPathB = await people.createApplication(userB, accountB, `www.attacker-${label}.test`);

  for (const path of [
    `/account/${accountA}`,
    `${appPathA}`,
    `${appPathA}/environment/Production`,
    `/account/${accountA}/application/new`,
    // A's application id under B's own account id: the account comes from the application row.
    appPathA.replace(`/account/${accountA}/`, `/account/${accountB}/`),
  ]) {
    const response = await b.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(b.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }

  // B replays the Verify now action of their own page with A's domain id.
  await b.goto(appPathB);
  await b
    .locator('input[name="domainId"]')
    .first()
    .evaluate((input, id) => ((input as HTMLInputElement).value = id), domainIdA);
  await b.getByRole("button", { name: "Verify now" }).first().click();
  await expect(b.getByText(/not found|does not exist/i).first()).toBeVisible();

  // A's domain was never checked.
  await a.reload();
  await expect(a.getByText("Never checked")).toBeVisible();
  await expect(a.locator("[data-status]").first()).toHaveText("Pending");

  await victim.close();
  await attacker.close();
});

// A stolen copy of a browser's session cookie dies with "Sign out everywhere else" — also the copy of the browser
// that pressed it — and cannot be revived through Auth.js's own session-update endpoint (which any client can call).
test("a copied session cookie stays dead after sign out everywhere else, even through /api/auth/session updates", async ({
  browser,
  people,
}) => {
  const label = uniqueLabel();
  const owner = await browser.newContext();
  const page = await owner.newPage();
  await people.signUp(page, `revive.${label}@example.com`);
  const copied = (await owner.cookies()).filter((c) => c.name.includes("authjs.session-token"));
  expect(copied.length).toBeGreaterThan(0);

  const thief = await browser.newContext();
  await thief.addCookies(copied);
  const stolen = await thief.newPage();
  await stolen.goto("/settings/sessions");
  await expect(stolen.getByRole("heading", { name: "Sessions" })).toBeVisible(); // the copy works before

  await page.goto("/settings/sessions");
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByText(/No other sessions were open|Signed out of/)).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sessions" })).toBeVisible(); // the presser stays signed in

  // The copy: signed out, and an update request (with or without data) brings nothing back.
  await stolen.goto("/settings/sessions");
  await expect(stolen).toHaveURL(/\/login/);
  const csrf = ((await (await thief.request.get("/api/auth/csrf")).json()) as { csrfToken: string }).csrfToken;
  for (const data of [{}, { sk: "guess" }]) {
    const update = await thief.request.post("/api/auth/session", { data: { csrfToken: csrf, data } });
    expect(update.status()).toBeLessThan(500);
    await stolen.goto("/settings/sessions");
    await expect(stolen).toHaveURL(/\/login/);
  }
  await owner.close();
  await thief.close();
});
