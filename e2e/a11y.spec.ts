import AxeBuilder from "@axe-core/playwright";
import { E2E } from "./env";
import { expect, test, type Browser, type Page, type Person } from "./fixtures";
import { linkFromMail, snap, uniqueLabel } from "./helpers";
import { PASSWORD } from "./people";

// Accessibility of the main pages in both themes (docs/architecture.md "Themes and accessibility"): axe-core's full
// default rule set (no rule disabled) on each page, in a browser whose system preference is light and one whose
// preference is dark (the <head> script then sets the `dark` class); no violation of impact "serious" or "critical"
// may remain. Also: the header's toggle cycles System → Light → Dark and the choice survives a reload.

const OPERATOR = E2E.operatorEmails[3];
const THEMES = ["light", "dark"] as const;

type Setup = { person: Person; accountId: number; appPath: string; domainPath: string };
let setup: Setup;

test.beforeAll(async ({ browser, people }) => {
  test.setTimeout(60_000);
  const page = await (await browser.newContext()).newPage();
  // A failed test restarts the worker, which runs this again: the operator then exists (and is verified).
  const existing = await people.findUser(OPERATOR);
  let person: Person;
  if (existing) {
    person = { id: existing.id, email: existing.email, name: existing.name, sessionVersion: existing.sessionVersion, password: PASSWORD };
    await people.signIn(page, person);
  } else {
    person = await people.signUp(page, OPERATOR, { name: "Ada Operator" });
    await people.mailVerificationLink(person);
    await page.goto(await linkFromMail(OPERATOR, "/verify-email/"));
    await expect(page.getByRole("heading", { name: "Email address verified" })).toBeVisible();
  }
  const label = uniqueLabel();
  const accountId = await people.createAccount(person, `A11y ${label}`);
  const www = `www.a11y-${label}.test`;
  const appPath = await people.createApplication(person, accountId, www);
  // One check, so the application page shows its result and links the domain's page.
  await page.goto(appPath);
  const panel = page.getByTestId(`domain-${www}`);
  await panel.getByRole("button", { name: "Verify now" }).click();
  const history = panel.getByRole("link", { name: "Check history" });
  await expect(history).toBeVisible();
  const domainPath = (await history.getAttribute("href")) ?? "";
  expect(domainPath).toMatch(/\/domain\/\d+$/);
  await page.context().close();
  setup = { person, accountId, appPath, domainPath };
});

/** A browser whose system colour preference is `theme`, signed in as `person` unless null. */
async function browserIn(
  browser: Browser,
  theme: (typeof THEMES)[number],
  person: Person | null,
  signIn: typeof import("./people").signIn,
) {
  const page = await (await browser.newContext({ colorScheme: theme, viewport: { width: 1280, height: 900 } })).newPage();
  if (person) await signIn(page, person);
  return page;
}

/** Opens `path`, checks the theme took, runs axe; returns one line per serious or critical violation. */
async function audit(page: Page, path: string, theme: (typeof THEMES)[number], name: string): Promise<string[]> {
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(200);
  await expect(page.locator("h1").first()).toBeVisible();
  await expect(page.locator("html"), `${path}: the <head> script follows the system preference`).toHaveClass(
    theme === "dark" ? /\bdark\b/ : /^(?!.*\bdark\b)/,
  );
  // Collapsed parts (a commit's diff, the clone instructions, a domain's records) are checked too.
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
  await page.waitForLoadState("networkidle");
  await snap(page, `a11y-${theme}-${name}`);
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.passes.length, `${path}: axe ran its rules`).toBeGreaterThan(10);
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${theme} ${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
          .slice(0, 4)
          .map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join(" ").trim()}`)
          .join(" | ")}`,
    );
}

/** The lightness (0–100) of the page's background colour, as the browser computed it (lab() or oklch()). */
async function pageLightness(page: Page): Promise<number> {
  const color = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const match = /^(lab|oklch)\(([\d.]+)/.exec(color);
  if (!match) throw new Error(`unexpected background colour ${color}`);
  return Number(match[2]) * (match[1] === "oklch" ? 100 : 1);
}

for (const theme of THEMES) {
  test(`the main pages have no serious accessibility violations in the ${theme} theme`, async ({ browser, people }) => {
    test.setTimeout(480_000);
    const { person, accountId, appPath, domainPath } = setup;
    const env = `${appPath}/environment/Production`;
    const found: string[] = [];

    const visitor = await browserIn(browser, theme, null, people.signIn);
    const page = await browserIn(browser, theme, person, people.signIn);
    // A hydration mismatch (e.g. the theme button rendering differently on the server) is reported as a page error.
    const pageErrors: string[] = [];
    for (const p of [visitor, page]) p.on("pageerror", (error) => pageErrors.push(`${p.url()}: ${error.message}`));

    for (const [path, name] of [
      ["/login", "sign-in"],
      ["/signup", "sign-up"],
      ["/forgot-password", "forgot-password"],
    ] as const)
      found.push(...(await audit(visitor, path, theme, name)));

    for (const [path, name] of [
      // The issue's main pages.
      [`/account/${accountId}`, "account"],
      [appPath, "application"],
      [env, "environment"],
      [domainPath, "domain"],
      [`${env}/traffic`, "traffic"],
      [`/account/${accountId}/members`, "members"],
      [`/account/${accountId}/settings`, "account-settings"],
      ["/settings", "user-settings"],
      ["/settings/tokens", "api-tokens"],
      ["/ops", "ops"],
      // The others (the editor's page is e2e/editor.spec.ts's).
      ["/account/new", "account-new"],
      [`/account/${accountId}/application/new`, "application-new"],
      [`${appPath}/settings`, "application-settings"],
      [`${env}/files`, "files"],
      [`${env}/history`, "history"],
      [`/account/${accountId}/audit`, "audit"],
      ["/settings/sessions", "sessions"],
      ["/settings/two-factor", "two-factor"],
      ["/settings/security-log", "security-log"],
      ["/ops/edge", "ops-edge"],
      ["/ops/certificates", "ops-certificates"],
      ["/ops/traffic", "ops-traffic"],
      ["/ops/purges", "ops-purges"],
      ["/ops/log", "ops-log"],
      ["/docs/api", "api-docs"],
    ] as const)
      found.push(...(await audit(page, path, theme, name)));

    expect(found, found.join("\n")).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
}

test("the header's theme toggle cycles System, Light and Dark, and the choice survives a reload", async ({ browser, people }) => {
  const page = await browserIn(browser, "dark", setup.person, people.signIn);
  await page.goto(`/account/${setup.accountId}`);
  const html = page.locator("html");
  const toggle = page.getByRole("button", { name: /^Theme: / });
  await expect(toggle).toHaveAccessibleName("Theme: System");
  await expect(html).toHaveClass(/\bdark\b/); // the system preference (dark here)

  await toggle.click();
  await expect(toggle).toHaveAccessibleName("Theme: Light");
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.reload();
  await expect(html).not.toHaveClass(/\bdark\b/); // stored: light although the system is dark
  await expect(toggle).toHaveAccessibleName("Theme: Light"); // read from storage once hydrated
  expect(await pageLightness(page)).toBeGreaterThan(90);

  await toggle.click();
  await expect(toggle).toHaveAccessibleName("Theme: Dark");
  await expect(html).toHaveClass(/\bdark\b/);
  await page.goto("/settings");
  await expect(html).toHaveClass(/\bdark\b/);
  expect(await pageLightness(page)).toBeLessThan(20);

  // A stored choice beats the system's: Dark on a light system.
  await page.emulateMedia({ colorScheme: "light" });
  await page.reload();
  await expect(html).toHaveClass(/\bdark\b/);

  // Back to System: the light system's preference again, and a change of it is followed without a reload.
  await toggle.click();
  await expect(toggle).toHaveAccessibleName("Theme: System");
  expect(await page.evaluate(() => localStorage.getItem("theme"))).toBeNull();
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.emulateMedia({ colorScheme: "dark" });
  await expect(html).toHaveClass(/\bdark\b/);
});
