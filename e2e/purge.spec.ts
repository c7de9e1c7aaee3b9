import http from "node:http";
import { expect, test as base, type Page } from "@playwright/test";
import { connectToConsole, disconnectFromConsole } from "./db";
import { EDGE_E2E, targetEdgeConsole } from "./edge-env";
import { startOrigin, type TestOrigin } from "./edge-origin";
import { snap, uniqueLabel } from "./helpers";
import * as people from "./people";
import type { EdgeServeStatus } from "./serve-edge";

// Purge as a user walks it (docs/product.md §10 "Purge", docs/edge.md "Purge"), on the edge project's console with a
// real node (e2e/serve-edge.ts): an application created in the browser is cached by the node (HIT); a developer
// purges a path prefix on the environment page, the page says the node applied it, and the next request under that
// prefix is a MISS while another prefix stays a HIT; a malformed prefix is a field message; a viewer sees the list
// without the forms, and only an admin gets the ban-expression form.

const test = base.extend<object, { people: typeof people }>({
  people: [
    async ({}, use) => {
      targetEdgeConsole();
      connectToConsole();
      await use(people);
      await disconnectFromConsole();
    },
    { scope: "worker" },
  ],
});

type EdgeAnswer = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** GET `path` from the edge node's HTTP port with `Host: host`, as `curl --resolve host:port:127.0.0.2` would. */
function viaEdge(host: string, urlPath: string): Promise<EdgeAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: EDGE_E2E.bindAddress, port: EDGE_E2E.httpPort, path: urlPath, method: "GET", headers: { host }, agent: false },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from the edge for ${host}${urlPath} within 10 s`)));
    request.on("error", reject);
    request.end();
  });
}

async function serveStatus(): Promise<EdgeServeStatus> {
  return (await (await fetch(`${EDGE_E2E.controlUrl}/status`)).json()) as EdgeServeStatus;
}

test.describe.configure({ mode: "serial" });

test.describe("purge on the environment page, applied by the node", () => {
  const label = uniqueLabel();
  const hostname = `www.purge-${label}.test`;
  let origin: TestOrigin;
  let page: Page;
  let appPath = "";
  let accountId = 0;

  test.beforeAll(async ({ browser }) => {
    const status = await serveStatus();
    test.skip(status.state === "no-tools", `purge journeys skipped: ${status.message}`);
    expect(status.state, `the edge node did not start: ${status.message}\n${status.agentLog.slice(-40).join("\n")}`).toBe("ready");
    origin = await startOrigin(label);
    page = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
  });

  test.afterAll(async () => {
    await origin?.stop();
  });

  test("a developer purges a prefix: the page shows the node applied it, that prefix MISSes and another stays HIT", async ({
    browser,
    people,
  }) => {
    test.setTimeout(120_000);
    const owner = await people.signUp(page, `purge-owner.${label}@example.com`);
    accountId = await people.createAccount(owner, `Purge ${label}`);
    await page.goto(`/account/${accountId}`);
    await page.getByRole("link", { name: "New application" }).click();
    await page.getByLabel("Hostname").fill(hostname);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Origin address").fill(origin.address);
    await page.getByLabel("Protocol").selectOption("http");
    await page.getByLabel("Port").fill(String(origin.port));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Create application" }).click();
    await expect(page).toHaveURL(/\/account\/\d+\/application\/\d+$/);
    appPath = new URL(page.url()).pathname;

    // Cached on the node: MISS then HIT for two prefixes.
    await expect(async () => expect((await viaEdge(hostname, "/img/a.png")).status).toBe(200)).toPass({ timeout: 30_000 });
    for (const p of ["/img/a.png", "/css/site.css"]) {
      await viaEdge(hostname, p);
      expect((await viaEdge(hostname, p)).headers["x-cache"]).toBe("HIT");
    }

    const developer = await people.createPerson(`purge-developer.${label}@example.com`);
    await people.addMembership(developer.email, accountId, "developer");
    const developerPage = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
    await people.signIn(developerPage, developer);
    await developerPage.goto(`${appPath}/environment/Production`);
    const panel = developerPage.getByTestId("purge-panel");
    await expect(panel.getByRole("heading", { name: /Purge/ })).toBeVisible();
    await expect(developerPage.getByTestId("ban-form")).toHaveCount(0);

    // A malformed prefix is a field message; nothing is sent.
    await panel.getByRole("textbox", { name: "Path prefix" }).fill("img/");
    await panel.getByRole("button", { name: "Purge prefix" }).click();
    await expect(panel.getByText("The prefix must start with / (for example /images/).")).toBeVisible();

    await panel.getByRole("textbox", { name: "Path prefix" }).fill("/img/");
    await panel.getByRole("button", { name: "Purge prefix" }).click();
    await expect(panel.getByRole("status")).toHaveText(/Purged on 1 of 1 node\./, { timeout: 15_000 });
    await developerPage.reload();
    const latest = developerPage.getByTestId("purge-list").locator("tbody tr").first();
    await expect(latest).toContainText("Prefix");
    await expect(latest.locator("code")).toHaveText("/img/");
    await expect(latest.locator('li[data-state="applied"]')).toHaveCount(1);
    await snap(developerPage, "purge-01-prefix-applied");

    expect((await viaEdge(hostname, "/img/a.png")).headers["x-cache"]).toBe("MISS");
    expect((await viaEdge(hostname, "/css/site.css")).headers["x-cache"]).toBe("HIT");
    expect(origin.requests.filter((r) => r.url === "/img/a.png")).toHaveLength(2);
    await developerPage.close();
  });

  test("a viewer sees the purges without the forms; an admin also gets the ban expression", async ({ browser, people }) => {
    for (const role of ["viewer", "admin"] as const) {
      const member = await people.createPerson(`purge-${role}.${label}@example.com`);
      await people.addMembership(member.email, accountId, role);
      const memberPage = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
      await people.signIn(memberPage, member);
      await memberPage.goto(`${appPath}/environment/Production`);
      await expect(memberPage.getByTestId("purge-list")).toContainText("/img/");
      await expect(memberPage.getByTestId("purge-form")).toHaveCount(role === "viewer" ? 0 : 1);
      await expect(memberPage.getByTestId("ban-form")).toHaveCount(role === "viewer" ? 0 : 1);
      await memberPage.close();
    }
  });
});
