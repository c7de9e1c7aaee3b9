import fs from "node:fs";
import { Secret, TOTP } from "otpauth";
import { getAccount } from "@/lib/accounts/queries";
import { listAuditEvents } from "@/lib/audit/queries";
import { listSecurityEvents } from "@/lib/security-log/list";
import { expect, test, type Page } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";
import { findUser } from "./people";

// Two-factor authentication (SPEC §3.1, §3.2) as a person uses it: enrol by reading the setup key off the page and
// computing codes like an authenticator app would (otpauth, RFC 6238), sign in with the code step, recovery codes,
// the rate limit, and an account that requires two-factor authentication.

const PASSWORD = "correct horse battery";

/** An authenticator app for one secret: each code it hands out is of a later time step than the last (codes are single-use). */
function authenticator(secret: string) {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
  let lastStep = -1;
  return {
    async code(): Promise<string> {
      for (;;) {
        const now = Date.now();
        const step = Math.floor(now / 30_000);
        // The server accepts ±1 step: use the earliest of the previous (early in a step only, so it is still in the
        // window when the server checks it), current and next step that was not used yet.
        const candidates = now % 30_000 < 20_000 ? [step - 1, step, step + 1] : [step, step + 1];
        const pick = candidates.find((s) => s > lastStep);
        if (pick !== undefined) {
          lastStep = pick;
          return totp.generate({ timestamp: pick * 30_000 + 1_000 });
        }
        await new Promise((r) => setTimeout(r, 30_000 - (now % 30_000) + 200));
      }
    },
  };
}

/** Security-log kinds of the user, oldest first (their security log, lib/security-log, read backwards). */
async function securityKinds(email: string): Promise<string[]> {
  const user = await findUser(email);
  if (!user) throw new Error(`no user ${email}`);
  return (await listSecurityEvents({ userId: user.id, limit: 200 })).rows.map((r) => r.kind).reverse();
}

/** Turns on two-factor authentication in /settings/two-factor; returns the app and the recovery codes shown. */
async function enrol(page: Page, shots?: string) {
  await page.goto("/settings/two-factor");
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const key = page.getByTestId("manual-key");
  await expect(key).toHaveText(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  if (shots) await snap(page, `${shots}-setup`);
  const app = authenticator((await key.innerText()).replace(/\s/g, ""));
  await refusedCode(page, "Authentication code", "000000", /not valid/, "Turn on");
  await page.getByLabel("Authentication code").fill(await app.code());
  await page.getByRole("button", { name: "Turn on" }).click();
  const list = page.getByRole("list", { name: "Recovery codes" });
  await expect(list.getByRole("listitem")).toHaveCount(10);
  const codes = (await list.getByRole("listitem").allInnerTexts()).map((c) => c.trim());
  for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  if (shots) await snap(page, `${shots}-recovery-codes`);
  return { app, codes };
}

async function logIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Submits a code that is refused: waits until the form answered (React empties the field) and shows `error`. */
async function refusedCode(page: Page, label: string, code: string, error: RegExp, button = "Verify") {
  await page.getByLabel(label).fill(code);
  await page.getByRole("button", { name: button }).click();
  await expect(page.getByLabel(label)).toHaveValue("");
  await expect(page.getByLabel(label)).toHaveAccessibleDescription(error); // the error linked to this very field
}

async function logOut(page: Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

test("a user secures their login with two-factor authentication and signs in with codes", async ({ page, people }) => {
  test.setTimeout(120_000);
  const email = `tfa.${uniqueLabel()}@example.com`;
  const user = await people.signUp(page, email);
  const accountId = await people.createAccount(user, "Two Factor Co");

  await page.goto("/settings/two-factor");
  await expect(page.getByTestId("two-factor-status")).toContainText("Off");
  const { app, codes } = await enrol(page, "2fa-01");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download (.txt)" }).click();
  const file = fs.readFileSync((await (await download).path())!, "utf8");
  expect(file).toContain(`Edge Console recovery codes for ${email}`);
  for (const code of codes) expect(file).toContain(code);
  await page.getByRole("button", { name: "Done: I saved them" }).click();
  await expect(page.getByTestId("two-factor-status")).toContainText("On");
  await expect(page.getByTestId("two-factor-status")).toContainText("10 of 10 recovery codes left");
  await expect(page.getByRole("list", { name: "Recovery codes" })).toHaveCount(0); // shown once
  await snap(page, "2fa-02-on");
  await logOut(page);

  // The right password alone only leads to the code step.
  await logIn(page, email);
  await expect(page.getByLabel("Authentication code")).toBeVisible();
  await snap(page, "2fa-03-code-step");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.locator("#field-code-error")).toHaveText(/Enter the code/);
  await refusedCode(page, "Authentication code", "123456", /not valid/);
  await snap(page, "2fa-04-wrong-code");
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login/); // not signed in

  // Auth.js's own endpoint with email and password (no code) does not sign in either.
  const csrf = (await (await page.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  await page.request.post("/api/auth/callback/credentials", { form: { email, password: PASSWORD, csrfToken: csrf.csrfToken } });
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login/);
  // …while the same endpoint with a right code does (so the refusal above is the code check, not a broken request).
  await page.request.post("/api/auth/callback/credentials", {
    form: { email, password: PASSWORD, code: await app.code(), csrfToken: csrf.csrfToken },
  });
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/settings$/);
  await logOut(page);

  await logIn(page, email);
  await page.getByLabel("Authentication code").fill(await app.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(new RegExp(`/account/${accountId}$`));
  await logOut(page);

  // A recovery code signs in once.
  await logIn(page, email);
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(codes[0]);
  await snap(page, "2fa-05-recovery-step");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(new RegExp(`/account/${accountId}$`));
  await logOut(page);
  await logIn(page, email);
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await refusedCode(page, "Recovery code", codes[0], /^That recovery code is not valid or was already used\.$/);
  await page.getByLabel("Recovery code").fill(codes[1].toUpperCase());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(new RegExp(`/account/${accountId}$`));

  // New recovery codes, then turning it off, each with a fresh code.
  await page.goto("/settings/two-factor");
  await expect(page.getByTestId("two-factor-status")).toContainText("8 of 10 recovery codes left");
  // Both code fields are on the page: each label belongs to its own field (ids are unique).
  await expect(page.getByLabel("Code for new recovery codes")).toHaveAttribute("id", "field-regenerate-code");
  await expect(page.getByLabel("Code to turn off")).toHaveAttribute("id", "field-disable-code");
  expect(await page.locator("[id]").evaluateAll((els) => els.map((e) => e.id).filter((id, i, all) => all.indexOf(id) !== i))).toEqual([]);
  await snap(page, "2fa-10-on-1280");
  await page.setViewportSize({ width: 375, height: 800 });
  await snap(page, "2fa-10-on-375");
  await page.setViewportSize({ width: 1280, height: 900 });
  // Deleting the user now asks for a code too (refused here without one; nothing is deleted).
  await page.goto("/settings");
  const danger = page.getByRole("region", { name: "Delete your user" });
  await danger.getByLabel(`Type ${email} to confirm`).fill(email);
  await danger.getByLabel("Current password").fill(PASSWORD);
  await danger.getByRole("button", { name: "Delete my user" }).click();
  await expect(danger.getByLabel("Two-factor code")).toHaveAccessibleDescription(/Enter the code from your authenticator app/);
  await snap(page, "2fa-11-delete-needs-code");
  await page.goto("/settings/two-factor");
  await page.getByLabel("Code for new recovery codes").fill(await app.code());
  await page.getByRole("button", { name: "Generate new recovery codes" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "Done: I saved them" }).click();
  await expect(page.getByTestId("two-factor-status")).toContainText("10 of 10 recovery codes left");
  await refusedCode(page, "Code to turn off", "000000", /not valid/, "Turn off two-factor authentication");
  await page.getByLabel("Code to turn off").fill(await app.code());
  await page.getByRole("button", { name: "Turn off two-factor authentication" }).click();
  await expect(page.getByTestId("two-factor-status")).toContainText("Off");

  const kinds = (await securityKinds(email)).filter(
    (k) => k.startsWith("two-factor") || k.startsWith("signin.two") || k === "signin.recovery-code",
  );
  expect(kinds).toEqual([
    "two-factor.enable",
    "signin.two-factor-failure",
    "signin.recovery-code",
    "signin.two-factor-failure",
    "signin.recovery-code",
    "two-factor.recovery-codes",
    "two-factor.disable",
  ]);
});

test("wrong codes at sign-in hit the rate limit, which then refuses even the right code", async ({ page, people }) => {
  test.setTimeout(90_000);
  const email = `tfa.limit.${uniqueLabel()}@example.com`;
  await people.signUp(page, email);
  const { app } = await enrol(page); // one wrong code at confirmation
  await page.getByRole("button", { name: "Done: I saved them" }).click();
  await logOut(page);
  await logIn(page, email);
  // The e2e console keeps the default of 5 wrong codes per user per 15 minutes; one was spent at confirmation.
  for (let i = 0; i < 4; i++) await refusedCode(page, "Authentication code", String(100000 + i), /not valid/);
  await page.getByLabel("Authentication code").fill(await app.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText(/Too many attempts\. Try again in \d+ minutes?\./)).toBeVisible();
  await snap(page, "2fa-06-rate-limited");
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login/);
  expect(await securityKinds(email)).toContain("signin.rate-limited");
});

test("an account that requires two-factor authentication blocks members without it until they enrol", async ({ page, browser, people }) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const owner = `tfa.owner.${label}@example.com`;
  const member = `tfa.member.${label}@example.com`;
  const ownerUser = await people.signUp(page, owner);
  const accountId = await people.createAccount(ownerUser, `Strict ${label}`);
  const settingsPath = `/account/${accountId}/settings`;

  // An owner without two-factor authentication cannot require it (it would lock them out).
  await page.goto(settingsPath);
  await page.getByRole("button", { name: "Require two-factor authentication" }).click();
  await expect(page.getByText("Turn on two-factor authentication for your own login first")).toBeVisible();

  // The member (an admin) renames the account while that is allowed; the request is kept to be replayed later.
  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  const memberUser = await people.signUp(memberPage, member);
  const ownAccountId = await people.createAccount(memberUser, `Own ${label}`);
  await people.addMembership(member, accountId, "admin");
  await memberPage.goto(settingsPath);
  const renameRequest = memberPage.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await memberPage.getByRole("textbox", { name: "Account name" }).fill(`Strict ${label} renamed`);
  await memberPage.getByRole("button", { name: "Save name" }).click();
  await expect(memberPage.getByText("Account renamed.")).toBeVisible();
  const captured = await renameRequest;
  /** Sends the member's captured rename action again, with another name; returns the account's name afterwards. */
  const replayRename = async (name: string) => {
    const body = captured.postDataBuffer()!.toString("utf8").replace(`Strict ${label} renamed`, name);
    const headers = {
      "next-action": captured.headers()["next-action"],
      "content-type": captured.headers()["content-type"],
      accept: "text/x-component",
    };
    const answer = await memberPage.request.post(captured.url(), { headers, data: Buffer.from(body, "utf8") });
    expect(answer.status()).toBe(200);
    return (await getAccount({ id: accountId }))!.name;
  };
  expect(await replayRename(`Strict ${label} replayed`)).toBe(`Strict ${label} replayed`); // a replay works while allowed
  expect(await replayRename(`Strict ${label} renamed`)).toBe(`Strict ${label} renamed`);

  // The member's API token (created with a password-only login) reads the account while it is allowed.
  await memberPage.goto("/settings/tokens");
  await memberPage.getByLabel("Name").fill("ci");
  await memberPage.getByRole("button", { name: "Create token" }).click();
  const token = (await memberPage.getByTestId("new-token-value").textContent())?.trim() ?? "";
  const apiAnswer = async () => {
    const response = await memberPage.request.get(`/api/v1/account/${accountId}/application`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status(), type: response.status() === 200 ? null : ((await response.json()) as { type?: string }).type };
  };
  const apiStatus = async () => (await apiAnswer()).status;
  expect(await apiStatus()).toBe(200);

  await enrol(page);
  await page.getByRole("button", { name: "Done: I saved them" }).click();
  await page.goto(settingsPath);
  await page.getByRole("button", { name: "Require two-factor authentication" }).click();
  await expect(page.getByText("Members now need two-factor authentication to open this account.")).toBeVisible();
  await expect(page.getByTestId("require-two-factor-status")).toContainText("Required");
  await expect(page.getByTestId("members-without-two-factor")).toHaveText(`Locked out until they turn it on: ${member}.`);
  await snap(page, "2fa-07-account-requires");

  // The member is sent to the two-factor settings from every page of the account.
  for (const path of [`/account/${accountId}`, `/account/${accountId}/members`, settingsPath]) {
    await memberPage.goto(path);
    await expect(memberPage).toHaveURL(new RegExp(`/settings/two-factor\\?required=${accountId}$`));
  }
  await expect(memberPage.getByText(`The account (organization) Strict ${label} renamed requires two-factor authentication`)).toBeVisible();
  await expect(memberPage.getByRole("link", { name: "go to the console" })).toHaveAttribute("href", "/");
  await snap(memberPage, "2fa-08-member-blocked");
  await memberPage.setViewportSize({ width: 375, height: 800 });
  await snap(memberPage, "2fa-08-member-blocked-375");
  await memberPage.setViewportSize({ width: 1280, height: 900 });
  // The console's home opens the member's other account (the blocked one was the last used), not the 2FA page.
  await memberPage.goto("/");
  await expect(memberPage).toHaveURL(new RegExp(`/account/${ownAccountId}$`));
  // The application wizard offers only accounts the member can open.
  await memberPage.goto(`/account/${ownAccountId}/application/new`);
  await memberPage.getByLabel("Hostname").fill(`tfa-${label}.example.test`);
  await memberPage.getByRole("button", { name: "Continue" }).click();
  await memberPage.getByLabel("Origin address").fill("203.0.113.7");
  await memberPage.getByRole("button", { name: "Continue" }).click();
  await memberPage.getByRole("button", { name: "Continue" }).click();
  const accountSelect = memberPage.getByRole("combobox", { name: "Account" });
  await expect(accountSelect).toBeVisible();
  expect(await accountSelect.locator("option").allInnerTexts()).toEqual([`Own ${label} (owner)`]);

  // Replaying the member's server action changes nothing now.
  expect(await replayRename(`Strict ${label} replayed again`)).toBe(`Strict ${label} renamed`);
  // Nor does their API token: a problem naming the requirement (git: lib/git-http/git-http.test.ts).
  expect(await apiAnswer()).toEqual({ status: 403, type: "https://edge-console.dev/problems/two-factor-required" });
  const audit = (await listAuditEvents({ accountId, kind: "account.require-two-factor" })).rows;
  expect(audit.map((a) => a.data)).toEqual([{ required: true }]);

  // Once enrolled, the member gets in.
  await enrol(memberPage);
  await memberPage.getByRole("button", { name: "Done: I saved them" }).click();
  await memberPage.goto(`/account/${accountId}`);
  await expect(memberPage).toHaveURL(new RegExp(`/account/${accountId}$`));
  await expect(memberPage.getByRole("heading", { name: "Page not found" })).toHaveCount(0);
  expect(await apiStatus()).toBe(200);
  await memberContext.close();
});

test("two-factor pages fit a phone screen", async ({ browser, people }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const page = await context.newPage();
  const email = `tfa.phone.${uniqueLabel()}@example.com`;
  await people.signUp(page, email);
  await page.goto("/settings/two-factor");
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await expect(page.getByTestId("manual-key")).toBeVisible();
  const qr = page.getByRole("img", { name: /QR code/ });
  expect((await qr.boundingBox())!.width).toBeGreaterThanOrEqual(180);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await snap(page, "2fa-09-phone-setup");
  // Cancelling forgets the unconfirmed secret.
  await page.getByRole("button", { name: "Cancel set-up" }).click();
  await expect(page.getByTestId("two-factor-status")).toContainText("Off");
  await expect(page.getByTestId("manual-key")).toHaveCount(0);
  await context.close();
});
