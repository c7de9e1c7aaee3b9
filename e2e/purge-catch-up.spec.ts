import http from "node:http";
import { eq } from "drizzle-orm";
import { expect, test as base } from "@playwright/test";
import { getDb, writeTransaction, first } from "@/db";
import { edgeNodes, environments, purgeNodeStates } from "@/db/schema";
import { purgePrefix } from "@/lib/purge/expression";
import { createPurge } from "@/lib/purge/store";
import { connectToConsole, disconnectFromConsole } from "./db";
import { EDGE_E2E, targetEdgeConsole } from "./edge-env";
import { startOrigin, type TestOrigin } from "./edge-origin";
import { uniqueLabel } from "./helpers";
import * as people from "./people";
import type { EdgeServeStatus } from "./serve-edge";

// A node back after missing purges for more than an hour (docs/edge.md "Purge", "Away longer than an hour"), on the
// edge project's real node (e2e/serve-edge.ts): the node caches a page (HIT); then a purge of another prefix appears
// that is two hours old and that the node never got, as if it had been cut off from the console since before it
// (its token dated three hours back). The node gets a catch-up for that environment, bans everything of it, and the
// cached page is a MISS again; the console books the missed purge as applied by the node. Without the catch-up the
// purge would never reach the node (purges are handed out one by one only during their first hour).

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

/** GET `path` from the edge node's HTTP port with `Host: host`; resolves with the status and X-Cache. */
function viaEdge(host: string, urlPath: string): Promise<{ status: number; cache: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: EDGE_E2E.bindAddress, port: EDGE_E2E.httpPort, path: urlPath, method: "GET", headers: { host }, agent: false },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, cache: String(response.headers["x-cache"] ?? "") }));
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from the edge for ${host}${urlPath} within 10 s`)));
    request.on("error", reject);
    request.end();
  });
}

test("a node that missed a purge more than an hour old bans everything of that environment", async ({ browser, people }) => {
  test.setTimeout(120_000);
  const status = (await (await fetch(`${EDGE_E2E.controlUrl}/status`)).json()) as EdgeServeStatus;
  test.skip(status.state === "no-tools", `purge journeys skipped: ${status.message}`);
  expect(status.state, `the edge node did not start: ${status.message}`).toBe("ready");
  const label = uniqueLabel();
  const hostname = `www.catch-up-${label}.test`;
  const origin: TestOrigin = await startOrigin(label);
  const node = await first(getDb().select().from(edgeNodes).where(eq(edgeNodes.name, EDGE_E2E.nodeName)));
  expect(node, "the e2e node's row").toBeTruthy();
  try {
    const page = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
    const owner = await people.signUp(page, `catch-up-owner.${label}@example.com`);
    const accountId = await people.createAccount(owner, `Catch-up ${label}`);
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
    const applicationId = Number(/\/application\/(\d+)$/.exec(new URL(page.url()).pathname)![1]);

    await expect(async () => expect((await viaEdge(hostname, "/page.html")).status).toBe(200)).toPass({ timeout: 30_000 });
    expect((await viaEdge(hostname, "/page.html")).cache).toBe("HIT");
    const fetched = () => origin.requests.filter((r) => r.url === "/page.html").length;
    const fetchedBefore = fetched();

    // The node's token three hours old, and a purge of /other/ made two hours ago that it never got.
    const production = (await getDb().select().from(environments).where(eq(environments.applicationId, applicationId))).find(
      (e) => e.name === "Production",
    )!;
    await writeTransaction((tx) =>
      tx
        .update(edgeNodes)
        .set({ createdAt: new Date(Date.now() - 3 * 3_600_000) })
        .where(eq(edgeNodes.id, node!.id)),
    );
    const prefix = purgePrefix(`e${production.id}`, "/other/");
    if (!prefix.ok) throw new Error(prefix.message);
    const made = await createPurge({
      environment: { id: production.id, accountId, applicationId, name: "Production" },
      actor: { id: owner.id, name: owner.email },
      purge: prefix.purge,
      now: new Date(Date.now() - 2 * 3_600_000),
    });
    if (!made.ok) throw new Error(made.refusal.message);

    // The node wakes on the new version (polls read it every second), bans everything of Production and reports.
    await expect(async () => {
      const row = (await getDb().select().from(purgeNodeStates)).find((s) => s.purgeId === made.id && s.nodeId === node!.id);
      expect(row?.appliedAt, "the node's report of the catch-up").toBeTruthy();
      expect(row?.error ?? null).toBeNull();
    }).toPass({ timeout: 45_000 });
    expect((await viaEdge(hostname, "/page.html")).cache).toBe("MISS");
    expect(fetched()).toBe(fetchedBefore + 1);
  } finally {
    await writeTransaction((tx) => tx.update(edgeNodes).set({ createdAt: node!.createdAt }).where(eq(edgeNodes.id, node!.id)));
    await origin.stop();
  }
});
