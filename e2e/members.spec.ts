import { domainToASCII } from "node:url";
import { getAccount } from "@/lib/accounts/queries";
import { listPendingInvitations } from "@/lib/members/queries";
import { countAccounts, countInvitationsTo, invitationStatus } from "./db";
import { expect, test, type Browser, type Page } from "./fixtures";
import { createAccount, linkFromMail, snap, uniqueLabel } from "./helpers";
import { findUser, membershipOf } from "./people";

// Accounts and people (SPEC §2, §3.2): invitations from the mail to the account, each dead link's own page, the
// owner rules enforced on the server (also against replayed forms), account settings and deletion.

const PASSWORD = "correct horse battery";

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

const membershipId = async (email: string, accountId: number) => (await membershipOf(email, accountId))?.membershipId;
const roleIn = async (email: string, accountId: number) => (await membershipOf(email, accountId))?.role ?? null;

/** The invite form's Email field (the console's banner is a region also named "Email …"). */
const emailBox = (page: Page) => page.getByRole("textbox", { name: "Email", exact: true });

/** Sets a hidden input of the first form matching `selector` to `value` (a forged form, as an attacker would send). */
async function forge(page: Page, selector: string, value: string | number): Promise<void> {
  await page
    .locator(selector)
    .first()
    .evaluate((input, v) => ((input as HTMLInputElement).value = v), String(value));
}

/** Invites `email` with `role` from the members page and waits for the confirmation. */
async function invite(page: Page, accountId: number, email: string, role: string): Promise<void> {
  await page.goto(`/account/${accountId}/members`);
  await emailBox(page).fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: role });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText(`Invitation sent to ${email.toLowerCase()}`)).toBeVisible();
}

test("an invitation takes a new person from the mail to the account; the link then says it was used", async ({ page, browser, people }) => {
  test.setTimeout(90_000);
  const label = uniqueLabel();
  const owner = await people.signUp(page, `owner.${label}@example.com`);
  const accountId = await people.createAccount(owner, `Team ${label}`);
  await page.goto(`/account/${accountId}`);
  await page.getByRole("link", { name: "Members" }).click();
  await expect(page.getByRole("heading", { name: `Members of Team ${label}` })).toBeVisible();

  const typed = `Alice.${label}@Example.com`;
  const alice = typed.toLowerCase();
  await invite(page, accountId, typed, "Developer");
  await expect(page.getByTestId(`invitation-${alice}`)).toContainText("Developer · invited by");
  await snap(page, "members-01-invited");

  // The mail reaches the loopback SMTP server with a link built from APP_URL.
  const link = await linkFromMail(alice, "/invite/");
  expect(link).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);

  // A signed-out visitor sees who invited them to which account, and signs up with the address prefilled.
  const visitor = await newPage(browser);
  await visitor.goto(link);
  await expect(visitor.getByRole("heading", { name: `Join Team ${label}` })).toBeVisible();
  await expect(
    visitor.getByText(`owner.${label}@example.com invited ${alice} to join the account (organization) Team ${label}`),
  ).toBeVisible();
  await snap(visitor, "members-02-invite-signed-out");
  await visitor.getByRole("link", { name: "Sign up" }).click();
  await expect(visitor).toHaveURL(/\/signup\?/);
  await expect(visitor.getByLabel("Email")).toHaveValue(alice);
  await snap(visitor, "members-03-signup-prefilled");
  await visitor.getByLabel("Password").fill(PASSWORD);
  await visitor.getByRole("button", { name: "Sign up" }).click();

  // Back on the invitation (not hijacked by "create your first account"): Accept opens the account.
  await expect(visitor).toHaveURL(new RegExp(`${link}$`));
  await snap(visitor, "members-04-invite-signed-in");
  await visitor.getByRole("button", { name: `Accept and join Team ${label}` }).click();
  await expect(visitor).toHaveURL(new RegExp(`/account/${accountId}$`));
  await expect(visitor.getByRole("heading", { name: `Team ${label}` })).toBeVisible();
  await visitor.getByText("Account:").click();
  await expect(visitor.getByRole("list", { name: "Your accounts" })).toContainText(`Team ${label}`);
  await snap(visitor, "members-05-accepted");
  expect((await findUser(alice))?.emailVerifiedAt).not.toBeNull();
  expect((await findUser(alice))?.emailVerifiedAt).toBeInstanceOf(Date);

  // The same link again: already used.
  await visitor.goto(link);
  await expect(visitor.getByRole("heading", { name: "This invitation was already used" })).toBeVisible();
  await expect(visitor.getByRole("link", { name: `Open Team ${label}` })).toBeVisible();
  await snap(visitor, "members-06-link-used");

  // The owner sees the new member with the role, and no pending invitation.
  await page.reload();
  await expect(page.getByTestId(`member-${alice}`)).toContainText("Developer");
  await expect(page.getByTestId(`invitation-${alice}`)).toHaveCount(0);
  await snap(page, "members-07-owner-list");
});

test("resend replaces a link, revoke withdraws one, another user's session is offered a way out", async ({ page, browser, people }) => {
  test.setTimeout(90_000);
  const label = uniqueLabel();
  const owner = `owner.${label}@example.com`;
  const ownerUser = await people.signUp(page, owner);
  const accountId = await people.createAccount(ownerUser, `Crew ${label}`);

  // Inviting an existing member is a field error.
  await page.goto(`/account/${accountId}/members`);
  await emailBox(page).fill(owner.toUpperCase());
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.locator("#field-email-error")).toHaveText(`${owner} is already a member of this account.`);
  await snap(page, "members-08-invite-existing-member");

  const bob = `bob.${label}@example.com`;
  await invite(page, accountId, bob, "Viewer");
  const first = await linkFromMail(bob, "/invite/");
  await page.getByTestId(`invitation-${bob}`).getByRole("button", { name: "Resend" }).click();
  await expect(page.getByText(`A new invitation was sent to ${bob}`)).toBeVisible();
  let second = first;
  await expect.poll(async () => (second = await linkFromMail(bob, "/invite/"))).not.toBe(first);

  const visitor = await newPage(browser);
  await visitor.goto(first);
  await expect(visitor.getByRole("heading", { name: "A newer invitation was sent" })).toBeVisible();
  await expect(visitor.getByText("use the link in the latest email")).toBeVisible();
  await snap(visitor, "members-09-link-replaced");
  await visitor.goto(second);
  await expect(visitor.getByRole("heading", { name: `Join Crew ${label}` })).toBeVisible();

  await page.reload();
  const row = page.getByTestId(`invitation-${bob}`);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByText(`Revoke the invitation for ${bob}?`)).toBeVisible();
  await snap(page, "members-10-revoke-confirm");
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(page.getByTestId(`invitation-${bob}`)).toHaveCount(0);
  await visitor.goto(second);
  await expect(visitor.getByRole("heading", { name: "This invitation was revoked" })).toBeVisible();
  await snap(visitor, "members-11-link-revoked");

  // Signed in as someone else: both addresses, and "Log out and continue" comes back to the link signed out.
  const carol = `carol.${label}@example.com`;
  await invite(page, accountId, carol, "Admin");
  const carolLink = await linkFromMail(carol, "/invite/");
  await page.goto(carolLink);
  await expect(page.getByRole("heading", { name: "This invitation is for someone else" })).toBeVisible();
  await expect(page.getByTestId("invited-email")).toHaveText(carol);
  await expect(page.getByTestId("current-email")).toHaveText(owner);
  await snap(page, "members-12-other-user");
  await page.getByRole("button", { name: "Log out and continue" }).click();
  await expect(page).toHaveURL(new RegExp(`${carolLink}$`));
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();

  // Logging in (an existing login) through the invitation also comes back to it.
  await people.createPerson(carol); // an existing login (signed up elsewhere)
  await page.getByRole("link", { name: "Log in" }).click();
  await expect(page.getByLabel("Email")).toHaveValue(carol);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(new RegExp(`${carolLink}$`));
  await page.getByRole("button", { name: `Accept and join Crew ${label}` }).click();
  await expect(page).toHaveURL(new RegExp(`/account/${accountId}$`));
  expect(await roleIn(carol, accountId)).toBe("admin");
});

test("owner rules hold on the server: last owner, admin against owner, a demoted user's next action", async ({ page, browser, people }) => {
  test.setTimeout(90_000);
  const label = uniqueLabel();
  const owner = `owner.${label}@example.com`;
  const admin = `admin.${label}@example.com`;
  const dev = `dev.${label}@example.com`;
  const ownerUser = await people.signUp(page, owner);
  const accountId = await people.createAccount(ownerUser, `Guild ${label}`);
  const adminPage = await newPage(browser);
  await people.signUp(adminPage, admin);
  await people.createPerson(dev);
  await people.addMembership(admin, accountId, "admin");
  await people.addMembership(dev, accountId, "developer");

  // The sole owner can neither leave nor demote themselves.
  await page.goto(`/account/${accountId}/members`);
  await page.getByRole("button", { name: "Leave account" }).click();
  await page.getByRole("button", { name: "Yes, leave" }).click();
  await expect(page.getByText("You are the only owner, so you cannot leave.")).toBeVisible();
  await snap(page, "members-13-last-owner-leave");
  await page.getByLabel(`Role of ${owner}`).selectOption("admin");
  await page.getByTestId(`member-${owner}`).getByRole("button", { name: "Save role" }).click();
  await expect(page.getByTestId(`member-${owner}`).getByText(`${owner} is the only owner.`)).toBeVisible();
  await snap(page, "members-14-last-owner-demote");
  expect(await roleIn(owner, accountId)).toBe("owner");

  // An admin sees no controls on the owner; a forged Remove of the owner is refused.
  await adminPage.goto(`/account/${accountId}/members`);
  const ownerRow = adminPage.getByTestId(`member-${owner}`);
  await expect(ownerRow.getByRole("button", { name: "Remove" })).toHaveCount(0);
  await expect(ownerRow.getByLabel(`Role of ${owner}`)).toHaveCount(0);
  await expect(adminPage.getByLabel("Role", { exact: true }).locator('option[value="owner"]')).toHaveCount(0);
  await snap(adminPage, "members-15-admin-view");
  const devRow = adminPage.getByTestId(`member-${dev}`);
  await forge(adminPage, `[data-testid="member-${dev}"] input[name="membershipId"] >> nth=1`, (await membershipId(owner, accountId))!);
  await devRow.getByRole("button", { name: "Remove" }).click();
  await devRow.getByRole("button", { name: "Yes, remove" }).click();
  await expect(devRow.getByText("Only an owner can remove an owner.")).toBeVisible();
  expect(await roleIn(owner, accountId)).toBe("owner");

  // The owner demotes the admin to viewer: the admin's next page has no controls (a stale page: next test).
  await page.reload();
  await page.getByLabel(`Role of ${admin}`).selectOption("viewer");
  await page.getByTestId(`member-${admin}`).getByRole("button", { name: "Save role" }).click();
  await expect(page.getByTestId(`member-${admin}`).getByText("Role changed to Viewer.")).toBeVisible();
  await adminPage.goto(`/account/${accountId}/members`);
  await expect(adminPage.getByTestId(`member-${dev}`).getByRole("button", { name: "Remove" })).toHaveCount(0);
  await expect(adminPage.getByRole("button", { name: "Send invitation" })).toHaveCount(0);
  expect(await roleIn(dev, accountId)).toBe("developer");
});

test("a demoted admin's already open page is refused on its next action", async ({ page, browser, people }) => {
  const label = uniqueLabel();
  const owner = `owner.${label}@example.com`;
  const admin = `admin.${label}@example.com`;
  const dev = `dev.${label}@example.com`;
  const ownerUser = await people.signUp(page, owner);
  const accountId = await people.createAccount(ownerUser, `Order ${label}`);
  const adminPage = await newPage(browser);
  await people.signUp(adminPage, admin);
  await people.createPerson(dev);
  await people.addMembership(admin, accountId, "admin");
  await people.addMembership(dev, accountId, "developer");

  await adminPage.goto(`/account/${accountId}/members`); // opened while still an admin
  await page.goto(`/account/${accountId}/members`);
  await page.getByLabel(`Role of ${admin}`).selectOption("viewer");
  await page.getByTestId(`member-${admin}`).getByRole("button", { name: "Save role" }).click();
  await expect(page.getByTestId(`member-${admin}`).getByText("Role changed to Viewer.")).toBeVisible();

  const devRow = adminPage.getByTestId(`member-${dev}`);
  await devRow.getByRole("button", { name: "Remove" }).click();
  await devRow.getByRole("button", { name: "Yes, remove" }).click();
  await expect(devRow.getByText("Your role in this account (Viewer) cannot remove members. Ask an owner or admin.")).toBeVisible();
  await snap(adminPage, "members-16-demoted-refused");
  expect(await roleIn(dev, accountId)).toBe("developer");
});

test("a non-member gets 404 for members and settings, and replayed forms change nothing", async ({ page, browser, people }) => {
  const label = uniqueLabel();
  const owner = `owner.${label}@example.com`;
  const dev = `dev.${label}@example.com`;
  const ownerUser = await people.signUp(page, owner);
  const victim = await people.createAccount(ownerUser, `Victim ${label}`);
  await people.createPerson(dev);
  await people.addMembership(dev, victim, "developer");
  await invite(page, victim, `pending.${label}@example.com`, "Viewer");
  const victimInvitation = (await listPendingInvitations({ accountId: victim })).find(
    (i) => i.email === `pending.${label}@example.com`,
  )!.id;

  const attacker = await newPage(browser);
  const attackerUser = await people.signUp(attacker, `attacker.${label}@example.com`);
  const own = await people.createAccount(attackerUser, `Attacker ${label}`);
  for (const path of [`/account/${victim}/members`, `/account/${victim}/settings`]) {
    const response = await attacker.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(attacker.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
  await snap(attacker, "members-17-non-member-404");

  // Replays from the attacker's own pages with the victim's ids.
  await invite(attacker, own, `friend.${label}@example.com`, "Viewer");
  await forge(attacker, 'form:has(button:text("Revoke")) input[name="invitationId"]', victimInvitation);
  await attacker.getByRole("button", { name: "Revoke" }).click();
  await attacker.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(attacker.getByText("Not found: it does not exist or you do not have access to it.")).toBeVisible();
  await forge(attacker, 'input[name="accountId"]', victim);
  await emailBox(attacker).fill(`spam.${label}@example.com`);
  await attacker.getByRole("button", { name: "Send invitation" }).click();
  await expect(attacker.getByText("Not found: it does not exist or you do not have access to it.").first()).toBeVisible();

  await attacker.goto(`/account/${own}/settings`);
  await forge(attacker, 'input[name="accountId"]', victim);
  await attacker.getByRole("textbox", { name: "Account name", exact: true }).fill("Owned");
  await attacker.getByRole("button", { name: "Save name" }).click();
  await expect(attacker.getByText("Not found: it does not exist or you do not have access to it.")).toBeVisible();
  await forge(attacker, 'form:has(button:text("Delete account")) input[name="accountId"]', victim);
  await attacker.getByLabel(/Type the account name/).fill(`Victim ${label}`);
  await attacker.getByRole("button", { name: "Delete account" }).click();
  await expect(attacker.getByText("Not found: it does not exist or you do not have access to it.").last()).toBeVisible();

  expect((await getAccount({ id: victim }))?.name).toBe(`Victim ${label}`);
  expect(await invitationStatus(victimInvitation)).toBe("pending");
  expect(await countInvitationsTo(`spam.${label}@example.com`)).toBe(0);
  expect(await roleIn(dev, victim)).toBe("developer");
});

test("account settings: viewers read, owners rename and transfer, the new owner deletes and hostnames become free", async ({
  page,
  browser,
  people,
}) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const owner = `owner.${label}@example.com`;
  const heir = `heir.${label}@example.com`;
  const viewer = `viewer.${label}@example.com`;
  const hostname = `www.gone-${label}.test`;
  const ownerUser = await people.signUp(page, owner);
  const accountId = await people.createAccount(ownerUser, `Gone ${label}`);
  await people.createApplication(ownerUser, accountId, hostname);
  // An internationalised hostname is listed in Unicode with its A-label (stored form) next to it.
  const idn = `www.bücher-${label}.test`;
  await people.createApplication(ownerUser, accountId, idn);
  const heirPage = await newPage(browser);
  const heirUser = await people.signUp(heirPage, heir);
  const viewerPage = await newPage(browser);
  await people.signUp(viewerPage, viewer);
  await people.addMembership(heir, accountId, "developer");
  await people.addMembership(viewer, accountId, "viewer");

  await viewerPage.goto(`/account/${accountId}/settings`);
  await expect(viewerPage.getByText("Your role in this account (Viewer) can view these settings but not change them.")).toBeVisible();
  await expect(viewerPage.getByRole("button", { name: "Save name" })).toHaveCount(0);
  await expect(viewerPage.getByRole("button", { name: "Delete account" })).toHaveCount(0);
  await snap(viewerPage, "members-18-settings-viewer");

  await page.goto(`/account/${accountId}/settings`);
  await page.getByRole("textbox", { name: "Account name", exact: true }).fill(`Gone Renamed ${label}`);
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByText("Account renamed.")).toBeVisible();
  await expect(page.getByRole("heading", { name: `Settings of Gone Renamed ${label}` })).toBeVisible();
  await expect(page.getByTestId("delete-summary")).toContainText(hostname);
  await expect(page.getByTestId("delete-summary")).toContainText(
    `2 applications will be deleted, freeing ${hostname}, ${idn} (${domainToASCII(idn)}).`,
  );
  await snap(page, "members-19-settings-owner");
  // At phone width the long hostnames wrap instead of widening the page.
  await page.setViewportSize({ width: 375, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await snap(page, "members-19b-settings-owner-375");
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.getByLabel("New owner").selectOption({ label: `${heir} (Developer)` });
  await page.getByRole("button", { name: "Transfer ownership" }).click();
  await page.getByRole("button", { name: "Yes, transfer" }).click();
  await expect(page.getByText("Ownership transferred. You are an admin of this account now.")).toBeVisible();
  expect([await roleIn(heir, accountId), await roleIn(owner, accountId)]).toEqual(["owner", "admin"]);
  await page.reload();
  await expect(page.getByText("Only owners can delete the account.")).toBeVisible();

  // The new owner deletes the account: the typed name must match.
  await heirPage.goto(`/account/${accountId}/settings`);
  await heirPage.getByLabel(/Type the account name/).fill("Gone");
  await heirPage.getByRole("button", { name: "Delete account" }).click();
  await expect(heirPage.locator("#field-confirm-error")).toContainText("Type the account name exactly as shown");
  await snap(heirPage, "members-20-delete-mismatch");
  await heirPage.getByLabel(/Type the account name/).fill(`Gone Renamed ${label}`);
  await heirPage.getByRole("button", { name: "Delete account" }).click();
  await expect(heirPage).toHaveURL(/\/account\/new$/);
  await snap(heirPage, "members-21-deleted");
  expect(await countAccounts(accountId)).toBe(0);
  const gone = await viewerPage.goto(`/account/${accountId}`);
  expect(gone?.status()).toBe(404);

  // The hostname is free: another account creates an application with it.
  const other = await createAccount(heirPage, `Next ${label}`); // on /account/new, where deleting the account led
  await heirPage.goto(await people.createApplication(heirUser, other, hostname));
  await expect(heirPage.getByTestId(`domain-${hostname}`)).toBeVisible();
  await snap(heirPage, "members-22-hostname-reused");
});
