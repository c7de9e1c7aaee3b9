import { randomUUID } from "node:crypto";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createEdgeNode } from "@/lib/edge/nodes";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { formData, signInForActions, signOutForActions } from "@/lib/testing/action-request";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { ingestMetricsPush } from "@/lib/traffic/ingest";
import { errorAlertOf } from "@/lib/traffic/scheduler";
import { setErrorAlertAction } from "./actions";
import TrafficPage from "./page";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);
vi.mock("@/lib/auth/auth", () => ({ auth: async () => null, reissueSession: async () => undefined, signOut: async () => undefined }));

// The Traffic tab (docs/traffic.md "Pages") rendered to HTML with real rows on a temporary SQLite file: totals of the
// pushed minute, the recent requests with their request id (and the search by it), the alert form for owners and
// admins only; another account's member gets the 404 of requireEnvironment. The alert action refuses a developer.

describe("traffic page", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeApplication>>;
  let envId = 0;
  const render = async (rid?: string) => {
    const element = await TrafficPage({
      params: Promise.resolve({ accountId: String(fixture.app.accountId), appId: String(fixture.app.id), envName: "Production" }),
      searchParams: Promise.resolve({ range: "1h", ...(rid ? { rid } : {}) }),
    });
    return renderToStaticMarkup(element);
  };

  beforeAll(async () => {
    temp = makeTempDataDir("ec-traffic-page-");
    fixture = await makeApplication("trafficpage");
    stranger = await makeApplication("trafficpagestranger", ["owner"]);
    await settleEdgeChanges();
    await reconcileEdgeState();
    envId = (await environmentRow(fixture.app, "Production")).id;
    const { node } = await createEdgeNode("edge-page");
    const now = Date.now();
    const at = now - (now % 60_000);
    const result = await ingestMetricsPush(node.id, {
      pushId: randomUUID(),
      createdAt: now,
      lostLogs: 0,
      droppedPushes: 0,
      minutes: [
        {
          environmentId: envId,
          at,
          requests: 1234,
          status2xx: 1200,
          status3xx: 0,
          status4xx: 0,
          status5xx: 34,
          bytesIn: 1000,
          bytesOut: 2_500_000,
          hits: 900,
          misses: 100,
          passes: 0,
          blocked: 0,
          latency: [1234, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        },
      ],
      recent: [
        {
          environmentId: envId,
          at: now,
          method: "GET",
          path: "/search?q",
          status: 200,
          cache: "HIT",
          durationMs: 2,
          requestId: "req-page-1",
        },
        { environmentId: envId, at: now, method: "POST", path: "/login", status: 503, cache: null, durationMs: 9, requestId: "req-page-2" },
      ],
    });
    expect(result.ok).toBe(true);
  });
  afterAll(() => {
    signOutForActions();
    temp.cleanup();
  });

  it("shows a viewer the totals and the recent requests, with the search by request id, and no alert form", async () => {
    await signInForActions(fixture.user("viewer"));
    const html = await render();
    expect(html).toContain("1,234");
    expect(html).toContain("2.76 %"); // 34 / 1234
    expect(html).toContain("90.0 %"); // 900 / (900 + 100)
    expect(html).toContain("2.5 MB");
    expect(html).toContain("req-page-1");
    expect(html).toContain("/search?q");
    expect(html).not.toContain('name="threshold"');
    const searched = await render("req-page-2");
    expect(searched).toContain("req-page-2");
    expect(searched).not.toContain("req-page-1");
    expect(await render("nothing-like-it")).toContain("No recent request has an id starting with");
  });

  it("gives owners and admins the alert form; the action refuses a developer and saves an admin's threshold", async () => {
    await signInForActions(fixture.user("admin"));
    expect(await render()).toContain('name="threshold"');
    expect(await setErrorAlertAction({}, formData({ environmentId: envId, threshold: "5" }))).toMatchObject({ ok: true });
    expect(await errorAlertOf(envId)).toBe(5);
    expect(await setErrorAlertAction({}, formData({ environmentId: envId, threshold: "500" }))).toMatchObject({
      message: expect.stringContaining("1 to 100"),
    });
    await signInForActions(fixture.user("developer"));
    const refused = await setErrorAlertAction({}, formData({ environmentId: envId, threshold: "" }));
    expect(refused.ok).toBeFalsy();
    expect(await errorAlertOf(envId)).toBe(5);
  });

  it("is not found for another account's member", async () => {
    await signInForActions(stranger.user("owner"));
    await expect(render()).rejects.toThrow(/NEXT_HTTP_ERROR_FALLBACK;404|NEXT_NOT_FOUND/);
  });
});
