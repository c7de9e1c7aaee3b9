import type { Page } from "@playwright/test";
import { E2E } from "./env";
import { expect, test } from "./fixtures";
import { linkFromMail, snap, uniqueLabel } from "./helpers";

// Edge nodes at /ops/edge (docs/product.md §8 "Operators", docs/edge.md "Node tokens"): only an operator may open
// it; the operator adds a node (its token shown once, with the agent's command), sees what the node reports (last
// contact, address and ports, applied version, tools), drains and undrains it, and revokes it after typing its name.
// Every action lands in the operator log.
const EDGE_OPERATOR = E2E.operatorEmails[2];

/**
 * Signs `page` in as the edge operator: signed up with a verified address by the first journey below, or here when
 * this test runs alone.
 */
async function signInAsEdgeOperator(page: Page, people: typeof import("./people")) {
  const known = await people.findUser(EDGE_OPERATOR);
  if (known) {
    const { id, email, name, sessionVersion } = known;
    await people.signIn(page, { id, email, name, sessionVersion, password: people.PASSWORD });
  }
  if (known?.emailVerifiedAt) return;
  const operator = known ? { ...known, password: people.PASSWORD } : await people.signUp(page, EDGE_OPERATOR);
  await people.mailVerificationLink(operator);
  await page.goto(await linkFromMail(EDGE_OPERATOR, "/verify-email/"));
  await expect(page.getByRole("heading", { name: "Email address verified" })).toBeVisible();
}

test("a non-operator gets 404 at /ops/edge", async ({ browser, people }) => {
  const someone = await (await browser.newContext()).newPage();
  await people.signUp(someone, `not-edge-ops.${uniqueLabel()}@example.com`);
  expect((await someone.goto("/ops/edge"))?.status()).toBe(404);
  await expect(someone.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("operator: add a node (token once), its report, drain, undrain, revoke with typed confirmation", async ({ browser, people }) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const name = `e2e-${label}`;
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const operator = await people.signUp(page, EDGE_OPERATOR);
  await people.mailVerificationLink(operator);
  await page.goto(await linkFromMail(EDGE_OPERATOR, "/verify-email/"));
  await expect(page.getByRole("heading", { name: "Email address verified" })).toBeVisible();

  await page.goto("/ops");
  await page.getByRole("link", { name: "Edge nodes →" }).click();
  await expect(page).toHaveURL(/\/ops\/edge$/);
  await expect(page.getByRole("heading", { name: "Edge nodes" })).toBeVisible();

  // A bad name is refused next to the field.
  const form = page.getByRole("form", { name: "Add a node" });
  await form.getByLabel("Name").fill("Bad Name!");
  await form.getByRole("button", { name: "Add node" }).click();
  await expect(page.locator("#edge-node-name-error")).toBeVisible();

  // Added: the token is shown once, with the command that starts the agent.
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Add node" }).click();
  const shown = page.getByTestId("edge-node-token");
  await expect(shown).toContainText(`Node ${name} added`);
  const token = (await shown.getByLabel("Node token").textContent())!.trim();
  expect(token).toMatch(/^en_[A-Za-z0-9_-]{43}$/);
  await expect(shown.getByLabel("Agent command")).toHaveText(`CONSOLE_URL=${E2E.baseUrl} EDGE_NODE_TOKEN=${token} npm run edge`);
  await expect(shown.getByRole("button", { name: /^Copy token/ })).toBeVisible();
  const row = page.getByTestId(`edge-node-${name}`);
  await expect(row).toContainText("never");
  await snap(page, "ops-edge-01-added");

  // The same name again (any case) is refused.
  await form.getByLabel("Name").fill(name.toUpperCase());
  await form.getByRole("button", { name: "Add node" }).click();
  await expect(page.locator("#edge-node-name-error")).toBeVisible();

  // The node reports (docs/edge.md "Desired state": POST /api/edge/v1/report with its token): the row shows it.
  const report = await page.request.post("/api/edge/v1/report", {
    headers: { authorization: `Bearer ${token}` },
    data: {
      version: 0,
      address: "127.0.0.2",
      ports: { http: 8080, https: 8443 },
      tools: { haproxy: "2.6.12", varnish: "7.1.1" },
      error: null,
      environments: [],
    },
  });
  expect(report.status()).toBe(204);
  await page.reload();
  await expect(row).toContainText("127.0.0.2");
  await expect(row).toContainText("http 8080");
  await expect(row).toContainText("varnish 7.1.1");
  await expect(row).toContainText(/s ago|just now/);
  await expect(row).toContainText("Serving");
  await expect(page.getByTestId("edge-node-token")).toHaveCount(0); // shown once only

  // Drain and undrain.
  await row.getByRole("button", { name: "Drain" }).click();
  await expect(row).toContainText("Drained");
  await expect(row.getByTestId("edge-node-drained")).toContainText("Still serves every request");
  await row.getByRole("button", { name: "Undrain" }).click();
  await expect(row).not.toContainText("Drained");

  // Revoke asks for the name; a wrong one changes nothing.
  await row.getByRole("button", { name: "Revoke…" }).click();
  const revoke = row.getByRole("form", { name: `Revoke ${name}` });
  await revoke.getByLabel(`Type ${name} to confirm`).fill("something-else");
  await revoke.getByRole("button", { name: "Revoke node" }).click();
  await expect(revoke).toContainText(`Type ${name} to confirm.`);
  await snap(page, "ops-edge-02-revoke");
  await revoke.getByLabel(`Type ${name} to confirm`).fill(name);
  await revoke.getByRole("button", { name: "Revoke node" }).click();
  await expect(row).toContainText("Revoked");
  // The revoked token no longer works.
  const after = await page.request.post("/api/edge/v1/report", {
    headers: { authorization: `Bearer ${token}` },
    data: { version: 0, environments: [] },
  });
  expect(after.status()).toBe(401);

  // The operator log has each action.
  await page.goto("/ops/log");
  const events = page.getByTestId("operator-event").filter({ hasText: name });
  await expect(events).toHaveCount(4);
  await expect(events.first()).toContainText("Edge node revoked");
  await expect(events.nth(1)).toContainText("Edge node undrained");
  await expect(events.nth(2)).toContainText("Edge node drained");
  await expect(events.nth(3)).toContainText("Edge node added");
});

test("operator: Enter pressed three times quickly adds one node and its token stays shown", async ({ browser, people }) => {
  const label = uniqueLabel();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signInAsEdgeOperator(page, people);
  await page.goto("/ops/edge");
  const form = page.getByRole("form", { name: "Add a node" });
  const field = form.getByLabel("Name");
  const shown = page.getByTestId("edge-node-token");
  const fieldError = page.locator("#edge-node-name-error");

  // Three submissions in one go, before React can re-render (as fast Enter presses are): one node, one token, no refusal.
  const first = `e2e-enter-${label}`;
  await field.fill(first);
  await field.evaluate((input) => {
    const owner = (input as HTMLInputElement).form!;
    for (let i = 0; i < 3; i++) owner.requestSubmit();
  });
  await expect(shown).toContainText(`Node ${first} added`);
  const token = (await shown.getByLabel("Node token").textContent())!.trim();
  expect(token).toMatch(/^en_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId(`edge-node-${first}`)).toHaveCount(1);
  await page.waitForLoadState("networkidle");
  await expect(fieldError).toHaveCount(0);
  await expect(shown.getByLabel("Node token")).toHaveText(token);

  // Enter pressed three times on the keyboard: one node; a press that lands after the answer finds an empty field
  // ("Enter a name"), never "exists already", and the token stays.
  const second = `e2e-enter2-${label}`;
  await field.fill(second);
  for (let i = 0; i < 3; i++) await field.press("Enter");
  await expect(shown).toContainText(`Node ${second} added`);
  const token2 = (await shown.getByLabel("Node token").textContent())!.trim();
  expect(token2).not.toBe(token);
  await page.waitForLoadState("networkidle");
  await expect(page.getByTestId(`edge-node-${second}`)).toHaveCount(1);
  expect((await fieldError.allTextContents()).join(" ")).not.toContain("exists already");

  // A refusal typed after it (an empty name) keeps the token on the page until the operator leaves.
  await field.fill("");
  await field.press("Enter");
  await expect(fieldError).toHaveText("Enter a name for the node, e.g. edge-1.");
  await expect(shown.getByLabel("Node token")).toHaveText(token2);
  await snap(page, "ops-edge-03-enter-thrice");
  await page.reload();
  await expect(page.getByTestId(`edge-node-${first}`)).toHaveCount(1);
  await expect(page.getByTestId("edge-node-token")).toHaveCount(0);
});
