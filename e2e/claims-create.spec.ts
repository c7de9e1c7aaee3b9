import { expect, test } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";

// Claims on every creation path (docs/product.md §3.5): account B types, in the wizard and in "New environment",
// hostnames account A holds. Step 1 says a claim will be made; the application (and the environment) is created
// with the claim's TXT record on its page instead of a domain; A keeps its domains until the proof is published.
test("wizard and new environment: a hostname another account holds becomes a claim with its TXT record", async ({ browser, people }) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const held = `www.claim-a-${label}.test`;
  const heldStaging = `staging.claim-a-${label}.test`;

  const a = await (await browser.newContext()).newPage();
  const userA = await people.signUp(a, `claim-a.${label}@example.com`);
  const accountA = await people.createAccount(userA, `Claim A ${label}`);
  const appA = await people.createApplication(userA, accountA, held);
  await a.goto(appA);
  await a.getByText("+ Add domain").click();
  const add = a.getByRole("form", { name: "Add domain" });
  await add.getByLabel("Hostname").fill(heldStaging);
  await add.getByRole("button", { name: "Add domain" }).click();
  await expect(a.getByTestId(`domain-${heldStaging}`)).toBeVisible();

  const b = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  const userB = await people.signUp(b, `claim-b.${label}@example.com`);
  const accountB = await people.createAccount(userB, `Claim B ${label}`);
  await b.goto(`/account/${accountB}/application/new`);
  await b.getByLabel("Hostname").fill(held);
  await b.getByRole("button", { name: "Continue" }).click();
  await expect(b.getByText(`${held} is already used by an application on this platform. If another account holds it`)).toBeVisible();
  await snap(b, "claims-create-01-wizard-notice");
  await b.getByLabel("Origin address").fill("203.0.113.7");
  await b.getByRole("button", { name: "Continue" }).click();
  await expect(b.getByRole("heading", { name: "Proxy stack" })).toBeVisible();
  await b.getByRole("button", { name: "Continue" }).click();
  await expect(b.getByLabel("Account", { exact: true })).toBeVisible();
  await b.getByRole("button", { name: "Continue" }).click();
  await b.getByRole("button", { name: "Create application" }).click();
  await expect(b).toHaveURL(new RegExp(`/account/${accountB}/application/\\d+$`));
  const claim = b.getByTestId(`claim-${held}`);
  await expect(b.getByRole("heading", { name: "Claimed hostnames" })).toBeVisible();
  await expect(claim).toContainText(`_edge-challenge.${held}`);
  await expect(claim).toContainText("Claim: waiting for the TXT proof");
  await expect(b.getByTestId(`domain-${held}`)).toHaveCount(0);
  await snap(b, "claims-create-02-application-with-claim");

  // New environment with the other hostname A holds: the environment is made, with the claim on its page.
  await b.getByLabel("Environment name").fill("Staging");
  await b.getByRole("form", { name: "New environment" }).getByLabel("Hostname").fill(heldStaging);
  await b.getByRole("button", { name: "Create environment" }).click();
  await expect(b).toHaveURL(/\/environment\/Staging$/);
  await expect(b.getByTestId(`claim-${heldStaging}`)).toContainText(`_edge-challenge.${heldStaging}`);
  await snap(b, "claims-create-03-environment-with-claim");

  // A keeps both hostnames until a proof is published.
  await a.goto(appA);
  await expect(a.getByTestId(`domain-${held}`)).toBeVisible();
  await expect(a.getByTestId(`domain-${heldStaging}`)).toBeVisible();

  // A's own account cannot make a second application with its own hostname: step 1 says a claim, creation refuses it.
  await a.goto(`/account/${accountA}/application/new`);
  await a.getByLabel("Hostname").fill(held);
  await a.getByRole("button", { name: "Continue" }).click();
  await a.getByLabel("Origin address").fill("203.0.113.7");
  await a.getByRole("button", { name: "Continue" }).click();
  await a.getByRole("button", { name: "Continue" }).click();
  await a.getByRole("button", { name: "Continue" }).click();
  await a.getByRole("button", { name: "Create application" }).click();
  await expect(
    a.getByText(`${held} is already used by another application of this account. Remove it there first, or choose another.`),
  ).toBeVisible();
});
