import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test as base, type Page } from "@playwright/test";
import { connectToConsole, disconnectFromConsole } from "./db";
import { EDGE_E2E, targetEdgeConsole } from "./edge-env";
import { snap, uniqueLabel } from "./helpers";
import * as people from "./people";
import type { EdgeServeStatus } from "./serve-edge";

// The Traffic tab as a user walks it (docs/product.md §10, docs/traffic.md "Pages"), on the edge project's console
// with a real node (e2e/serve-edge.ts): an application created in the browser is served by the node; requests with
// 200, 404 and 500 answers, cache MISSes and HITs go through it; the tab then shows exactly the totals the client saw
// (requests, 5xx rate, cache hit ratio) for 1 hour, 24 hours and 7 days, its charts draw lines, the recent requests
// hold the request id the client got (found by a prefix of it) with the query's keys but not its values, and another
// account's member gets 404.

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

type EdgeAnswer = { status: number; headers: http.IncomingHttpHeaders };

/** GET `path` from the edge node's HTTP port with `Host: host`, as `curl --resolve host:port:127.0.0.2` would. */
function viaEdge(host: string, urlPath: string): Promise<EdgeAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: EDGE_E2E.bindAddress, port: EDGE_E2E.httpPort, path: urlPath, method: "GET", headers: { host }, agent: false },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
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

/**
 * An origin on 127.0.0.1 answering `/boom…` with 500 (`no-store`), `/gone…` with 404 and everything else with 200,
 * the 200s and 404s cacheable for 5 minutes.
 */
async function startMixedOrigin(): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const url = request.url ?? "/";
    const status = url.startsWith("/boom") ? 500 : url.startsWith("/gone") ? 404 : 200;
    const body = `origin answered ${url} with ${status}\n`;
    response.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": status === 500 ? "no-store" : "public, max-age=300",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test.describe.configure({ mode: "serial" });

test.describe("the Traffic tab with a real node", () => {
  const label = uniqueLabel();
  const hostname = `www.traffic-${label}.test`;
  let origin: Awaited<ReturnType<typeof startMixedOrigin>>;
  let page: Page;
  let trafficPath = "";

  test.beforeAll(async ({ browser }) => {
    const status = await serveStatus();
    test.skip(status.state === "no-tools", `traffic journeys skipped: ${status.message}`);
    expect(status.state, `the edge node did not start: ${status.message}\n${status.agentLog.slice(-40).join("\n")}`).toBe("ready");
    origin = await startMixedOrigin();
    page = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl, viewport: { width: 1280, height: 900 } })).newPage();
  });

  test.afterAll(async () => {
    await origin?.stop();
  });

  test("the totals are what the client saw, the charts draw, the request id is found, ranges switch", async ({ people }) => {
    test.setTimeout(180_000);
    const owner = await people.signUp(page, `traffic-owner.${label}@example.com`);
    const accountId = await people.createAccount(owner, `Traffic ${label}`);
    await page.goto(`/account/${accountId}`);
    await page.getByRole("link", { name: "New application" }).click();
    await page.getByLabel("Hostname").fill(hostname);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Origin address").fill("127.0.0.1");
    await page.getByLabel("Protocol").selectOption("http");
    await page.getByLabel("Port").fill(String(origin.port));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Create application" }).click();
    await expect(page).toHaveURL(/\/account\/\d+\/application\/\d+$/);
    trafficPath = `${new URL(page.url()).pathname}/environment/Production/traffic`;

    // Every answer the environment gave counts, the first ones while waiting for the node to serve it included;
    // answers for a Host the node does not know yet (X-Edge-Status: not-configured) are not the environment's.
    const seen: { path: string; status: number; cache: string; requestId: string }[] = [];
    const send = async (urlPath: string) => {
      const answer = await viaEdge(hostname, urlPath);
      if (answer.headers["x-edge-status"] !== "not-configured") {
        seen.push({
          path: urlPath,
          status: answer.status,
          cache: String(answer.headers["x-cache"] ?? ""),
          requestId: String(answer.headers["x-request-id"] ?? ""),
        });
      }
      return answer;
    };
    await expect(async () => expect((await send("/a.css")).status).toBe(200)).toPass({ timeout: 30_000 });
    for (const p of ["/a.css", "/a.css", "/b.js", "/b.js", "/gone", "/gone", "/boom", "/boom", "/boom", "/search?q=secret-word&page=2"])
      await send(p);

    const requests = seen.length;
    const errors = seen.filter((s) => s.status >= 500).length;
    const hits = seen.filter((s) => s.cache === "HIT").length;
    const misses = seen.filter((s) => s.cache === "MISS").length;
    // The mix the journey means to show: some of each.
    expect(errors, JSON.stringify(seen)).toBe(3);
    expect(hits, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(misses, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(
      seen.every((s) => /^[A-Za-z0-9._:-]{8,}$/.test(s.requestId)),
      JSON.stringify(seen),
    ).toBe(true);
    const expected = {
      requests: requests.toLocaleString("en-US"),
      errorRate: `${((errors / requests) * 100).toFixed(2)} %`,
      hitRatio: `${((hits / (hits + misses)) * 100).toFixed(1)} %`,
    };

    // The node pushes its counts every EDGE_METRICS_FLUSH_SECONDS (60 on this node): reload until they arrived.
    const totals = () => ({
      requests: page.getByTestId("total-Requests"),
      errorRate: page.getByTestId("total-Error rate (5xx)"),
      hitRatio: page.getByTestId("total-Cache hit ratio"),
    });
    await page.goto(trafficPath);
    await expect(async () => {
      await page.reload();
      await expect(totals().requests).toHaveText(expected.requests, { timeout: 1000 });
    }).toPass({ timeout: 100_000, intervals: [2000] });
    await expect(totals().errorRate).toHaveText(expected.errorRate);
    await expect(totals().hitRatio).toHaveText(expected.hitRatio);

    // Five charts, each drawing this environment's line (or its one point) as SVG.
    const figures = page.locator("figure");
    await expect(figures).toHaveCount(5);
    for (const title of ["Requests", "Error rate (5xx)", "Cache hit ratio", "Bandwidth (sent)", "p95 latency"]) {
      const figure = figures.filter({ has: page.getByText(title, { exact: true }) });
      // A line with some extent, or the dot of a lone point (a one-point path has none).
      const drawn = () =>
        figure.evaluate((el) =>
          [...el.querySelectorAll(".recharts-line path.recharts-line-curve, .recharts-line-dot")].some((node) => {
            const box = (node as SVGGraphicsElement).getBBox();
            return box.width > 0 || box.height > 0;
          }),
        );
      await expect.poll(drawn, { message: `the ${title} chart draws nothing` }).toBe(true);
    }

    // Recent requests: the newest first, with the client's request id; the query's keys only.
    const recent = page.getByRole("table");
    await expect(recent.locator("tbody tr")).toHaveCount(requests);
    await expect(recent).toContainText("/search?q&page");
    await expect(recent).not.toContainText("secret-word");
    await snap(page, "traffic-01-1h");

    const boom = seen.find((s) => s.status === 500)!;
    await page.getByLabel("Request id").fill(boom.requestId.slice(0, 10));
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(new RegExp(`rid=${boom.requestId.slice(0, 10)}`));
    await expect(recent.locator("tbody tr")).toHaveCount(1);
    const row = recent.locator("tbody tr").first();
    await expect(row).toContainText(boom.requestId);
    await expect(row).toContainText("/boom");
    await expect(row).toContainText("500");
    await snap(page, "traffic-02-search");

    await page.getByLabel("Request id").fill("no-such-request-id");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByText("No recent request has an id starting with “no-such-request-id”.")).toBeVisible();

    // The same totals for 24 hours and 7 days (hour rows).
    for (const [name, key] of [
      ["24 hours", "24h"],
      ["7 days", "7d"],
      ["1 hour", "1h"],
    ] as const) {
      await page.getByRole("link", { name, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`range=${key}`));
      await expect(page.getByRole("link", { name, exact: true })).toHaveAttribute("aria-current", "page");
      await expect(totals().requests).toHaveText(expected.requests);
      await expect(totals().errorRate).toHaveText(expected.errorRate);
      await expect(totals().hitRatio).toHaveText(expected.hitRatio);
      await expect(page.getByRole("img", { name: `Requests per ${key === "7d" ? "hour" : "minute"}, UTC` })).toBeVisible();
      if (key === "7d") await snap(page, "traffic-03-7d");
    }
  });

  test("another account's member gets 404 for the Traffic tab", async ({ browser, people }) => {
    test.skip(!trafficPath, "needs the application of the test before");
    const outsider = await people.createPerson(`traffic-outsider.${label}@example.com`);
    await people.createAccount(outsider, `Outsider ${label}`);
    const outsiderPage = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
    await people.signIn(outsiderPage, outsider);
    for (const path of [trafficPath, `${trafficPath}?range=7d`]) {
      const response = await outsiderPage.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(outsiderPage.getByRole("heading", { name: "Page not found" })).toBeVisible();
      await expect(outsiderPage.getByTestId("total-Requests")).toHaveCount(0);
    }
    await outsiderPage.close();
  });
});
