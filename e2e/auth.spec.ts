import { expect, test } from "./fixtures";
import { uniqueLabel } from "./helpers";

test("signup and login refuse bad input with messages next to the fields", async ({ page, people }) => {
  const label = uniqueLabel();
  await page.goto("/signup");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#field-email-error")).toHaveText(/valid email/);
  await expect(page.locator("#field-password-error")).toHaveText("Use at least 8 characters.");
  await expect(page.getByLabel("Email")).toHaveValue("not-an-email");

  const email = `login.${label}@example.com`;
  await people.signUp(page, email); // a successful signup through the form: e2e/journey.spec.ts
  await page.goto("/");
  await expect(page).toHaveURL(/\/account\/new$/);
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);

  // The same email in another case is the same user.
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email.toUpperCase());
  await page.getByLabel("Password").fill("another password");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#field-email-error")).toContainText("already exists");

  // A wrong password and an unknown email get one message that does not say which.
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await page.goto("/login");
  await page.getByLabel("Email").fill(`nobody.${label}@example.com`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(`nobody.${label}@example.com`);

  // Login trims and lower-cases the email; with no account yet the user lands on /account/new.
  await page.getByLabel("Email").fill(`  ${email.toUpperCase()}  `);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account\/new$/);

  // Signed-out visitors are sent to /login and come back afterwards.
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/account/999999/application/new");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Faccount%2F999999%2Fapplication%2Fnew$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account\/999999\/application\/new$/);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
