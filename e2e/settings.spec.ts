import { listAuditEvents } from "@/lib/audit/queries";
import { listActiveSessions } from "@/lib/auth/sessions";
import { listSecurityEvents } from "@/lib/security-log/list";
import { countUsers } from "./db";
import { expect, test, type Browser, type Page } from "./fixtures";
import { linkFromMail, mailbox, snap, uniqueLabel } from "./helpers";

const PASSWORD = "correct horse battery";

/** Signs in through /login and waits until the console is open. */
async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** Tries to sign in and expects the one message for wrong credentials. */
async function expectLoginRefused(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
}

/** A second browser (its own cookies), signed in as `email`. */
async function secondBrowser(browser: Browser, email: string, password = PASSWORD): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, email, password);
  return page;
}

/** Expects this browser to be signed out: a settings page sends it to /login. */
async function expectSignedOut(page: Page): Promise<void> {
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login(\?|$)/);
}

/** The page does not scroll sideways at its current width. */
async function expectNoSideScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(widths[0]).toBeLessThanOrEqual(widths[1]);
}

test("a user manages name, password, sessions, email, tokens and reads the security log", async ({ page, browser, request, people }) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const email = `settings.${label}@example.com`;
  const newEmail = `moved.${label}@example.com`;
  await page.setViewportSize({ width: 1280, height: 900 });
  const user = await people.signUp(page, email);
  await people.createAccount(user, `Settings ${label}`);

  // Profile: the name shows in the header at once.
  await page.goto("/settings");
  await expect(page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Profile" })).toHaveAttribute(
    "aria-current",
    "page",
  );
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByText("Name saved.")).toBeVisible();
  await expect(page.getByRole("banner").getByText("Ada Lovelace")).toBeVisible();
  await snap(page, "settings-profile");

  // Two browsers: the sessions list shows both, this one marked.
  const other = await secondBrowser(browser, email);
  await page.goto("/settings/sessions");
  await expect(page.getByTestId("session")).toHaveCount(2);
  await expect(page.locator('[data-testid="session"][data-current="true"]')).toContainText("This browser");
  await expect(page.getByTestId("session").first()).toContainText(/Chrome \d+ on Linux/);
  await expect(page.getByTestId("session").first()).toHaveAttribute("data-current", "true"); // this browser on top
  await snap(page, "settings-sessions");

  // Password change: a wrong current password is refused next to the field; then the other browser is signed out.
  await page.goto("/settings");
  const password = page.getByRole("region", { name: "Password" });
  await password.getByLabel("Current password").fill("not my password");
  await password.getByLabel("New password", { exact: true }).fill("a new password 1");
  await password.getByLabel("Confirm new password").fill("a new password 1");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#field-password-currentPassword-error")).toHaveText("That is not your current password.");
  await password.getByLabel("Current password").fill(PASSWORD);
  await password.getByLabel("New password", { exact: true }).fill("a new password 1");
  await password.getByLabel("Confirm new password").fill("a new password 1");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed. 1 other session was signed out.")).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible(); // this browser stays signed in
  await expectSignedOut(other);
  await expectLoginRefused(other, email, PASSWORD); // old password: a failed sign-in in the log
  await logIn(other, email, "a new password 1");

  // Sign out everywhere (else): the other browser is signed out, this one stays.
  await page.goto("/settings/sessions");
  await expect(page.getByTestId("session")).toHaveCount(2);
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByText("Signed out of 1 other session.")).toBeVisible();
  await expect(page.getByTestId("session")).toHaveCount(1);
  await expectSignedOut(other);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sessions" })).toBeVisible();

  // Revoke one session from the list.
  await logIn(other, email, "a new password 1");
  await page.reload();
  const otherRow = page.locator('[data-testid="session"]:not([data-current])');
  await otherRow.getByRole("button", { name: "Sign out" }).click();
  await otherRow.getByRole("button", { name: "Yes, sign out" }).click();
  await expect(page.getByTestId("session")).toHaveCount(1);
  await expectSignedOut(other);

  // Email change: the new address works only after its link is followed; the old one is told.
  await page.goto("/settings");
  const emailSection = page.getByRole("region", { name: "Email" });
  await emailSection.getByLabel("New email address").fill(newEmail.toUpperCase());
  await emailSection.getByLabel("Current password").fill("a new password 1");
  await emailSection.getByRole("button", { name: "Send confirmation link" }).click();
  await expect(page.getByText(`We sent a link to ${newEmail}.`)).toBeVisible();
  await expect(page.getByTestId("pending-email-change")).toContainText(newEmail);
  await snap(page, "settings-email-pending");
  await expect
    .poll(async () => (await mailbox.mails(email)).map((m) => m.subject))
    .toContain("Email change requested for your Edge Console login");
  const link = await linkFromMail(newEmail, "/change-email/");
  expect((await mailbox.mails(email)).some((m) => m.text.includes("/change-email/"))).toBe(false);
  await expectLoginRefused(other, newEmail, "a new password 1"); // not yet
  // Opened while signed in as someone else: it says so and offers to log out; nothing is confirmed there.
  const bystander = await (await browser.newContext()).newPage();
  await people.signUp(bystander, `bystander.${label}@example.com`);
  await bystander.goto(link);
  await expect(bystander.getByRole("heading", { name: "This link is for another login" })).toBeVisible();
  await expect(bystander.getByTestId("current-email")).toHaveText(`bystander.${label}@example.com`);
  await expect(bystander.getByRole("link", { name: "Open your settings" })).toHaveCount(0);
  await snap(bystander, "settings-email-other-user");
  await bystander.setViewportSize({ width: 375, height: 800 });
  await snap(bystander, "settings-email-other-user-375");
  await bystander.getByRole("button", { name: "Log out and continue" }).click();
  await expect(bystander.getByRole("heading", { name: "Confirm your new email address" })).toBeVisible();
  await expect(bystander).toHaveURL(new RegExp(`/change-email/`));
  await other.goto(link);
  await expect(other.getByRole("heading", { name: "Confirm your new email address" })).toBeVisible();
  await snap(other, "settings-email-confirm");
  await other.getByRole("button", { name: "Confirm new email address" }).click();
  await expect(other.getByRole("heading", { name: "Email address changed" })).toBeVisible();
  await expect.poll(async () => (await mailbox.mails(email)).map((m) => m.subject)).toContain("Your Edge Console login email was changed");
  await expectLoginRefused(other, email, "a new password 1");
  await logIn(other, newEmail, "a new password 1");
  await other.goto("/settings");
  await expect(other.getByRole("region", { name: "Email" })).toContainText(`You sign in with ${newEmail} verified`);
  await other.getByRole("button", { name: "Log out" }).click();
  await expect(other).toHaveURL(/\/login/);
  // Confirming the change from the other browser ended every other session, this one too (lib/user-settings
  // `confirmEmailChange`): it signs in again with the new address.
  await expectSignedOut(page);
  await logIn(page, newEmail, "a new password 1");

  // A token: created, used by git (even for a repository that does not exist), revoked.
  await page.goto("/settings/tokens");
  await page.getByLabel("Name").fill(`ci-${label}`);
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token-value").textContent())!.trim();
  const git = await request.get("/git/account/999999/application/999999/none.git/info/refs?service=git-upload-pack", {
    headers: { authorization: `Basic ${Buffer.from(`token:${token}`).toString("base64")}`, "user-agent": "git/2.39.5" },
  });
  expect(git.status()).toBe(404);
  await page.getByRole("button", { name: "Done, I have copied it" }).click();
  await page.getByRole("button", { name: `Revoke ci-${label}` }).click();
  await page.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("row", { name: new RegExp(`ci-${label}`) })).toContainText("Revoked");

  // The security log shows every event above, newest first.
  await page.goto("/settings/security-log");
  const events = page.getByTestId("security-event");
  const kinds = await events.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
  for (const kind of [
    "signin.success",
    "profile.update",
    "password.change",
    "signin.failure",
    "session.revoke-all",
    "session.revoke",
    "reauth.failure",
    "email.change-requested",
    "email.change",
    "signout",
    "token.create",
    "token.use",
    "token.revoke",
  ]) {
    expect(kinds, kind).toContain(kind);
  }
  expect(kinds[0]).toBe("token.revoke");
  await expect(page.locator('[data-kind="email.change"]')).toContainText(`${email} → ${newEmail}`);
  await expect(page.locator('[data-kind="token.use"]')).toContainText(`Token “ci-${label}”`);
  await expect(page.locator('[data-kind="token.use"]')).toContainText("git/2.39.5");
  await expect(page.locator('[data-kind="signin.failure"]')).toContainText(/Chrome \d+ on Linux · IP/);
  await expect(page.locator('[data-kind="reauth.failure"]')).toContainText("While changing the password");
  await snap(page, "settings-security-log");

  // Phone width: every settings page fits.
  await page.setViewportSize({ width: 375, height: 800 });
  for (const [path, name] of [
    ["/settings", "settings-profile-375"],
    ["/settings/sessions", "settings-sessions-375"],
    ["/settings/security-log", "settings-security-log-375"],
  ] as const) {
    await page.goto(path);
    await expectNoSideScroll(page);
    // Every settings tab is whole on screen (they wrap; none is cut at the edge).
    for (const tab of await page.getByRole("navigation", { name: "Settings" }).getByRole("link").all()) {
      const box = (await tab.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(375);
    }
    await snap(page, name);
  }
});

test("deleting one's user: refused for the last owner (naming the account); a plain member goes, the account stays", async ({
  page,
  browser,
  people,
}) => {
  const label = uniqueLabel();
  const ownerEmail = `owner.${label}@example.com`;
  const memberEmail = `member.${label}@example.com`;
  const owner = await people.signUp(page, ownerEmail);
  const accountId = await people.createAccount(owner, `Solo ${label}`);

  // At phone width the "not verified" pill stays on one line.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto("/settings");
  expect((await page.getByText("not verified", { exact: true }).boundingBox())!.height).toBeLessThan(24);
  await snap(page, "settings-profile-unverified-375");
  await page.setViewportSize({ width: 1280, height: 900 });

  const danger = page.getByRole("region", { name: "Delete your user" });
  await danger.getByLabel(`Type ${ownerEmail} to confirm`).fill("someone@else.example");
  await danger.getByLabel("Current password").fill(PASSWORD);
  await danger.getByRole("button", { name: "Delete my user" }).click();
  await expect(page.locator("#field-confirmation-error")).toHaveText(`Type your email address, ${ownerEmail}, to confirm.`);
  // The right email with a wrong password: refused next to the password field.
  await danger.getByLabel(`Type ${ownerEmail} to confirm`).fill(ownerEmail);
  await danger.getByLabel("Current password").fill("not my password");
  await danger.getByRole("button", { name: "Delete my user" }).click();
  await expect(page.locator("#field-delete-currentPassword-error")).toHaveText("That is not your current password.");
  await snap(page, "settings-delete-wrong-password");
  await danger.getByLabel("Current password").fill(PASSWORD);
  await danger.getByRole("button", { name: "Delete my user" }).click();
  await expect(danger.getByText(`You are the last owner of “Solo ${label}”.`)).toBeVisible();
  await snap(page, "settings-delete-refused");

  // A member of the account (developer) deletes their user.
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await people.signUp(member, memberEmail);
  await people.addMembership(memberEmail, accountId, "developer");
  await member.goto("/settings");
  await member.getByLabel(`Type ${memberEmail} to confirm`).fill(memberEmail);
  await member.getByRole("region", { name: "Delete your user" }).getByLabel("Current password").fill(PASSWORD);
  await member.getByRole("button", { name: "Delete my user" }).click();
  await expect(member).toHaveURL(/\/login/);
  await expectLoginRefused(member, memberEmail);

  // The account and its owner are untouched; the member is gone from it and the audit log keeps their name.
  await page.goto(`/account/${accountId}/members`);
  await expect(page.getByText(ownerEmail).first()).toBeVisible();
  await expect(page.getByText(memberEmail)).toHaveCount(0);
  const [audit] = (await listAuditEvents({ accountId, limit: 1 })).rows;
  expect({ action: audit.action, actor: audit.actorUserId, name: audit.actorName }).toEqual({
    action: "member.leave",
    actor: null,
    name: memberEmail,
  });
  expect(await countUsers(memberEmail)).toBe(0);
  const failures = (await listSecurityEvents({ userId: owner.id, limit: 200 })).rows.filter((e) => e.kind === "reauth.failure");
  expect(failures.map((f) => f.data)).toEqual([{ purpose: "user.delete" }]);
});

test("another user never sees someone's security log or sessions; signed-out visitors go to login", async ({ page, browser, people }) => {
  const label = uniqueLabel();
  const victim = `victim.${label}@example.com`;
  const attacker = `attacker.${label}@example.com`;
  const victimUser = await people.signUp(page, victim);
  await page.goto("/settings");
  await page.getByLabel("Name", { exact: true }).fill(`Secret ${label}`);
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByText("Name saved.")).toBeVisible();
  await page.goto("/settings/security-log");
  await expect(page.locator('[data-kind="profile.update"]')).toContainText(`Secret ${label}`);

  // The attacker's log holds only the attacker's own events.
  const attackerContext = await browser.newContext();
  const evil = await attackerContext.newPage();
  await people.signUp(evil, attacker);
  await evil.goto("/settings/security-log");
  await expect(evil.getByTestId("security-event")).toHaveCount(1); // their own sign-in
  await expect(evil.locator("body")).not.toContainText(`Secret ${label}`);
  await expect(evil.locator("body")).not.toContainText(victim);
  // No id in the URL to swap, and query parameters select nothing else.
  await evil.goto(`/settings/security-log?userId=1&user=${encodeURIComponent(victim)}&before=99999999999999.999999`);
  await expect(evil.locator("body")).not.toContainText(`Secret ${label}`);

  // The attacker submits the victim's session id through their own "Sign out" form: not found, the victim stays in.
  const victimSession = (await listActiveSessions({ userId: victimUser.id }))[0].id;
  const second = await browser.newContext();
  await logIn(await second.newPage(), attacker);
  await evil.goto("/settings/sessions");
  await expect(evil.locator("body")).not.toContainText(victim);
  const row = evil.locator('[data-testid="session"]:not([data-current])');
  await row.locator('input[name="sessionId"]').evaluate((input, id) => ((input as HTMLInputElement).value = String(id)), victimSession);
  await row.getByRole("button", { name: "Sign out" }).click();
  await row.getByRole("button", { name: "Yes, sign out" }).click();
  await expect(evil.getByText("Not found: this session does not exist, is not yours or has already ended.")).toBeVisible();
  await page.goto("/settings/security-log");
  await expect(page.getByRole("heading", { name: "Security log" })).toBeVisible();

  // Signed out: the log is behind the login.
  const anonymous = await (await browser.newContext()).newPage();
  await anonymous.goto("/settings/security-log");
  await expect(anonymous).toHaveURL(/\/login\?callbackUrl=%2Fsettings%2Fsecurity-log$/);
  await anonymous.goto("/settings/sessions");
  await expect(anonymous).toHaveURL(/\/login\?callbackUrl=%2Fsettings%2Fsessions$/);
});
