import { expireEmailTokens } from "./db";
import { E2E } from "./env";
import { expect, test, type Page } from "./fixtures";
import { linkFromMail, mailbox, snap, uniqueLabel } from "./helpers";

const PASSWORD = "correct horse battery";
const banner = (page: Page) => page.getByRole("region", { name: "Email verification" });

/** The console links in the mails to `to` whose path starts with `prefix`, oldest first (absolute URLs). */
async function linksInMail(to: string, prefix: string): Promise<URL[]> {
  const mails = await mailbox.mails(to);
  return mails.flatMap((m) => (m.text.match(/https?:\/\/\S+/g) ?? []).map((s) => new URL(s)).filter((u) => u.pathname.startsWith(prefix)));
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("signup mails a verification link; the banner resends it and goes once the address is verified", async ({ page, people }) => {
  const email = `verify.${uniqueLabel()}@example.com`;
  const person = await people.signUp(page, email);
  await people.mailVerificationLink(person); // what signup does after its response (the form's own: e2e/journey.spec.ts)
  await page.goto("/account/new");
  await expect(banner(page)).toContainText(`Verify your email address: we sent a link to ${email}.`);

  // The first mail arrives at the loopback SMTP server, its link built from APP_URL.
  const first = await linkFromMail(email, "/verify-email/");
  const [firstUrl] = await linksInMail(email, "/verify-email/");
  expect(firstUrl.origin).toBe(E2E.baseUrl);

  await banner(page).getByRole("button", { name: "Resend" }).click();
  await expect(banner(page)).toContainText(`We sent a new link to ${email}.`);
  await snap(page, "mail-verify-banner");
  await expect.poll(async () => (await linksInMail(email, "/verify-email/")).length).toBe(2);
  const latest = await linkFromMail(email, "/verify-email/");
  expect(latest).not.toBe(first);

  // An expired link (the first one, aged past its 24 hours) and a made-up one each get their own page.
  await expireEmailTokens(email, "verify-email", "oldest");
  await page.goto(first);
  await expect(page.getByRole("heading", { name: "This link has expired" })).toBeVisible();
  await snap(page, "mail-verify-expired");
  await page.goto("/verify-email/not-a-real-token");
  await expect(page.getByRole("heading", { name: "This link is not valid" })).toBeVisible();

  await page.goto(latest);
  await expect(page.getByRole("heading", { name: "Email address verified" })).toBeVisible();
  await expect(page.getByText(`${email} is verified`)).toBeVisible();
  await snap(page, "mail-verify-success");
  await page.getByRole("link", { name: "Continue to the console" }).click();
  await expect(page).toHaveURL(/\/account\/new$/);
  await expect(page.getByLabel("Account name")).toBeVisible();
  await expect(banner(page)).toHaveCount(0);

  await page.goto(latest);
  await expect(page.getByRole("heading", { name: "This link was already used" })).toBeVisible();
  await expect(page.getByText(`${email} is already verified`)).toBeVisible();
  await snap(page, "mail-verify-used");
});

test("a password reset by mail signs out every session; links come from APP_URL whatever the Host", async ({ browser, people }) => {
  const label = uniqueLabel();
  const email = `reset.${label}@example.com`;
  const oldContext = await browser.newContext();
  const oldPage = await oldContext.newPage();
  await people.signUp(oldPage, email);
  await oldPage.goto("/account/new");

  // A second browser reaches the console through another Host (127.0.0.1 instead of localhost).
  const otherHost = `http://127.0.0.1:${E2E.port}`;
  const context = await browser.newContext({ baseURL: otherHost });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(`${otherHost}/forgot-password`);

  // An unknown email and a known one get the same answer.
  const answer = "If an account exists for that email, we sent a link";
  await page.getByLabel("Email").fill(`nobody.${label}@example.com`);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(answer)).toBeVisible();
  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill("not an email");
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.locator("#field-email-error")).toHaveText(/valid email/);
  await page.getByLabel("Email").fill(`  ${email.toUpperCase()} `);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(answer)).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(email.toUpperCase()); // type=email inputs drop the spaces
  await snap(page, "mail-forgot-sent");

  const resetPath = await linkFromMail(email, "/reset-password/");
  const [resetUrl] = await linksInMail(email, "/reset-password/");
  expect(resetUrl.host).toBe(new URL(E2E.baseUrl).host); // APP_URL (localhost:<port>), not the request's 127.0.0.1
  expect(resetUrl.host).not.toBe(new URL(otherHost).host);
  expect(await mailbox.mails(`nobody.${label}@example.com`)).toHaveLength(0);

  await page.goto(resetPath);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.locator("#field-password-error")).toHaveText("Use at least 8 characters.");
  await snap(page, "mail-reset-form");
  await page.getByLabel("New password").fill("a brand new password");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=done/);
  await expect(page.getByText("Your password was changed and you were signed out everywhere.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await snap(page, "mail-reset-done");

  // The session opened before the reset is over: its next page load goes to /login.
  await oldPage.reload();
  await expect(oldPage).toHaveURL(/\/login/);
  await logIn(oldPage, email, PASSWORD);
  await expect(oldPage.getByText("Wrong email or password.")).toBeVisible();
  await logIn(oldPage, email, "a brand new password");
  await expect(oldPage).toHaveURL(/\/account\/new$/);

  // The link works once; a made-up one is refused too.
  await page.goto(resetPath);
  await expect(page.getByRole("heading", { name: "This link was already used" })).toBeVisible();
  await snap(page, "mail-reset-used");
  await page.goto("/reset-password/made-up");
  await expect(page.getByRole("heading", { name: "This link is not valid" })).toBeVisible();

  // A newer request replaces an older unused link; an expired link says so.
  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(answer)).toBeVisible();
  await expect.poll(async () => (await linksInMail(email, "/reset-password/")).length).toBe(2);
  const second = await linkFromMail(email, "/reset-password/");
  await page.getByRole("button", { name: "Send the link again" }).click();
  await expect.poll(async () => (await linksInMail(email, "/reset-password/")).length).toBe(3);
  const third = await linkFromMail(email, "/reset-password/");
  await page.goto(second);
  await expect(page.getByRole("heading", { name: "This link is not valid" })).toBeVisible();
  await expireEmailTokens(email, "reset-password", "unused");
  await page.goto(third);
  await expect(page.getByRole("heading", { name: "This link has expired" })).toBeVisible();
  await snap(page, "mail-reset-expired");

  await oldContext.close();
  await context.close();
});

test("the login form refuses further attempts for an email after too many wrong passwords", async ({ page, people }) => {
  const email = `ratelimit.${uniqueLabel()}@example.com`;
  await people.signUp(page, email);
  await page.goto("/account/new");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);

  for (let attempt = 1; attempt <= E2E.loginLimitPerEmail; attempt++) {
    await logIn(page, email, `wrong password ${attempt}`);
    await expect(page.getByText("Wrong email or password.")).toBeVisible();
  }
  // Over the limit: even the right password is refused for now, with the wait, and the email stays typed.
  await logIn(page, email, PASSWORD);
  await expect(page.getByText(/^Too many attempts\. Try again in \d+ minutes?\.$/)).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await snap(page, "mail-login-rate-limited");

  // Auth.js's own credentials endpoint is limited too: posting there directly does not get around the form.
  const { csrfToken } = (await (await page.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const direct = await page.request.post("/api/auth/callback/credentials", {
    form: { email, password: PASSWORD, csrfToken, callbackUrl: "/" },
    maxRedirects: 0,
  });
  expect(direct.status()).toBe(302);
  expect(direct.headers()["location"]).toContain("code=rate_limited");
  await page.goto("/account/new");
  await expect(page).toHaveURL(/\/login/);
});
