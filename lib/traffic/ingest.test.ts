import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb, first as firstRow } from "@/db";
import { edgeNodes, environments, trafficHours, trafficMinutes, trafficNodeMinutes } from "@/db/schema";
import { createApiToken } from "@/lib/api-tokens";
import { createApiRouter } from "@/lib/api/router";
import { operations } from "@/lib/api/operations";
import { createEdgeNode, revokeEdgeNode } from "@/lib/edge/nodes";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { makeApplication } from "@/lib/environments/fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { handleMetricsPush } from "./push-api";
import { fleetView } from "./fleet";
import { accountMonthlyBandwidth, recentRequests } from "./query";
import { checkErrorAlerts, pruneTraffic, setErrorAlert } from "./scheduler";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { setTestEnv } from "@/lib/testing/env";

// The metrics push (docs/edge.md "Metrics") against the real handler on a temporary SQLite file: a node token is
// required, forged or absurd pushes are refused with the field named, a replayed push id is counted once, minute
// and hour rows add up over pushes; the metrics API answers members (any role) and 404s another account's member.

vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

const minuteStart = (t: number) => t - (t % 60_000);

function minute(environmentId: number, at: number, extra: Partial<Record<string, unknown>> = {}) {
  return {
    environmentId,
    at,
    requests: 10,
    status2xx: 7,
    status3xx: 0,
    status4xx: 2,
    status5xx: 1,
    bytesIn: 1000,
    bytesOut: 5000,
    hits: 6,
    misses: 2,
    passes: 0,
    blocked: 0,
    latency: [4, 3, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0],
    ...extra,
  };
}

describe("metrics push and the metrics API", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeApplication>>;
  let token = "";
  let envId = 0;
  const tokens: Record<string, string> = {};
  const handle = createApiRouter(operations);
  const now = minuteStart(Date.now());

  const push = async (body: unknown, auth = token) => {
    const res = await handleMetricsPush(
      new Request("http://localhost/api/edge/v1/metrics", {
        method: "POST",
        headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const body = (minutes: unknown[], extra: object = {}) => ({
    pushId: randomUUID(),
    createdAt: Date.now(),
    lostLogs: 0,
    droppedPushes: 0,
    minutes,
    recent: [],
    ...extra,
  });
  const api = async (who: string, query = "", accountId = fixture.app.accountId) => {
    const res = await handle(
      new Request(`http://localhost/api/v1/account/${accountId}/application/${fixture.app.id}/environment/production/metrics${query}`, {
        headers: { authorization: `Bearer ${tokens[who]}` },
      }),
    );
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };

  beforeAll(async () => {
    temp = makeTempDataDir("ec-traffic-ingest-");
    fixture = await makeApplication("trafficapi");
    stranger = await makeApplication("trafficstranger", ["owner"]);
    await settleEdgeChanges();
    await reconcileEdgeState();
    envId = (await firstRow(
      getDb()
        .select()
        .from(environments)
        .where(and(eq(environments.applicationId, fixture.app.id), eq(environments.name, "Production"))),
    ))!.id;
    token = (await createEdgeNode("edge-m1")).token;
    for (const role of ["owner", "admin", "developer", "viewer"] as const)
      tokens[role] = (await createApiToken({ userId: fixture.user(role).id, name: "t" })).value;
    tokens.stranger = (await createApiToken({ userId: stranger.user("owner").id, name: "t" })).value;
  });
  let smtp: TestSmtpServer;
  let restoreEnv: () => void;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    restoreEnv = setTestEnv({ SMTP_URL: smtp.smtpUrl });
  });
  afterAll(async () => {
    await smtp.close();
    restoreEnv();
    temp.cleanup();
  });

  it("adds a push to the minute, hour and node rows; the same push id again is counted once", async () => {
    const first = body([minute(envId, now - 120_000)], {
      recent: [
        {
          environmentId: envId,
          at: now - 100_000,
          method: "GET",
          path: "/a?q",
          status: 200,
          cache: "HIT",
          durationMs: 3,
          requestId: "rid-1",
        },
      ],
    });
    expect(await push(first)).toEqual({ status: 200, body: { duplicate: false, minutes: 1, ignored: 0 } });
    expect(await push(first)).toEqual({ status: 200, body: { duplicate: true, minutes: 0, ignored: 0 } });
    expect((await push(body([minute(envId, now - 120_000)]))).status).toBe(200);
    const row = await firstRow(getDb().select().from(trafficMinutes).where(eq(trafficMinutes.environmentId, envId)));
    expect(row).toMatchObject({ requests: 20, status5xx: 2, hits: 12, bytesOut: 10_000, lat0: 8, accountId: fixture.app.accountId });
    const hourAt = now - 120_000 - ((now - 120_000) % 3_600_000);
    expect(await firstRow(getDb().select().from(trafficHours).where(eq(trafficHours.at, hourAt)))).toMatchObject({ requests: 20 });
    expect(await firstRow(getDb().select().from(trafficNodeMinutes))).toMatchObject({ requests: 20, status5xx: 2, bytesOut: 10_000 });
    expect((await recentRequests(envId)).map((r) => r.requestId)).toEqual(["rid-1"]);
    expect(await recentRequests(envId, "rid-")).toHaveLength(1);
    expect(await recentRequests(envId, "other")).toHaveLength(0);
  });

  it("refuses forged and absurd pushes, naming the field, and writes nothing", async () => {
    const before = (await firstRow(getDb().select().from(trafficMinutes)))!.requests;
    expect((await push(body([minute(envId, now)]), "en_" + "x".repeat(43))).status).toBe(401);
    expect((await push(body([minute(envId, now)]), "")).status).toBe(401);
    const unknown = await push(body([minute(999_999, now)]));
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("environment 999999 is unknown");
    const absurd = [
      minute(envId, now, { requests: 1e12 }),
      minute(envId, now, { requests: -1 }),
      minute(envId, now, { status2xx: 11 }),
      minute(envId, now, { latency: [1] }),
      minute(envId, now, { latency: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }),
      minute(envId, now + 17),
      minute(envId, now - 8 * 86_400_000),
      minute(envId, now + 3_600_000),
      minute(envId, now, { extra: 1 }),
    ];
    for (const m of absurd) expect((await push(body([m]))).status, JSON.stringify(m)).toBe(400);
    expect((await push({ ...body([]), pushId: "not-a-uuid" })).status).toBe(400);
    expect((await push("[]")).status).toBe(400);
    expect((await firstRow(getDb().select().from(trafficMinutes)))!.requests).toBe(before);
    const other = await createEdgeNode("edge-m2");
    await revokeEdgeNode(other.node.id);
    expect((await push(body([minute(envId, now)]), other.token)).status).toBe(401);
  });

  it("answers the series to every member role with the pushed numbers, and 404 to another account's member", async () => {
    const q = `?from=${now - 180_000}&to=${now}&step=minute`;
    for (const role of ["owner", "admin", "developer", "viewer"]) {
      const res = await api(role, q);
      expect(res.status, role).toBe(200);
      const totals = res.body!.totals as Record<string, unknown>;
      expect(totals).toMatchObject({ requests: 20, status_5xx: 2, cache_hits: 12, cache_misses: 4, bytes_out: 10_000, error_rate: 0.1 });
      expect(totals.cache_hit_ratio).toBe(0.75);
      expect((res.body!.series as unknown[]).length).toBe(3);
    }
    expect((await api("stranger", q)).status).toBe(404);
    expect((await api("stranger", q, stranger.app.accountId)).status).toBe(404);
    expect((await api("owner", "?from=yesterday")).status).toBe(400);
    expect((await api("owner", `?from=${now - 30 * 86_400_000}&to=${now}&step=minute`)).status).toBe(400);
  });

  it("mails owners and admins once when the 5xx rate over 5 minutes passes the threshold an admin set (off by default)", async () => {
    const at = minuteStart(Date.now());
    expect(
      (
        await push(
          body([
            minute(envId, at, {
              requests: 40,
              status2xx: 10,
              status4xx: 0,
              status5xx: 30,
              latency: [40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
              hits: 0,
              misses: 0,
            }),
          ]),
        )
      ).status,
    ).toBe(200);
    expect(await checkErrorAlerts()).toEqual([]); // off by default
    const env = (await firstRow(getDb().select().from(environments).where(eq(environments.id, envId))))!;
    await setErrorAlert(env, 80, fixture.actor("admin"));
    expect(await checkErrorAlerts()).toEqual([]); // 30 of 40 = 75 % < 80 %
    await setErrorAlert(env, 50, fixture.actor("admin"));
    expect(await checkErrorAlerts()).toEqual([envId]);
    expect(await checkErrorAlerts()).toEqual([]); // not again within 30 minutes
    await new Promise((r) => setTimeout(r, 300));
    const to = smtp
      .mails()
      .flatMap((m) => m.to)
      .sort();
    expect(to).toEqual([fixture.user("admin").email, fixture.user("owner").email].map((e) => e.toLowerCase()).sort());
    expect(smtp.mails()[0].subject).toContain("% of requests failed with 5xx");
  });

  it("shows the node's totals to operators, flags a node that stopped pushing, and sums the account's month", async () => {
    const node = (await firstRow(getDb().select().from(edgeNodes).where(eq(edgeNodes.name, "edge-m1"))))!;
    const now = Date.now();
    const view = await fleetView(
      [
        { id: node.id, name: "edge-m1" },
        { id: 99_999, name: "never" },
      ],
      now,
    );
    expect(view.rows[0]).toMatchObject({ name: "edge-m1", stopped: false });
    expect(view.rows[0].requests).toBeGreaterThanOrEqual(20);
    expect(view.rows[1]).toMatchObject({ requests: 0, lastPushAt: null, stopped: true });
    expect((await fleetView([{ id: node.id, name: "edge-m1" }], now + 4 * 60_000)).rows[0].stopped).toBe(true);
    const months = await accountMonthlyBandwidth(fixture.app.accountId);
    expect(months.reduce((a, m) => a + m.requests, 0)).toBe(60);
    expect(await accountMonthlyBandwidth(stranger.app.accountId)).toEqual([]);
  });

  it("drops minute rows after 7 days and hour rows after 90 days", async () => {
    const dropped = await pruneTraffic(Date.now() + 8 * 86_400_000);
    expect(dropped.traffic_minutes).toBeGreaterThan(0);
    expect(dropped.traffic_hours).toBe(0);
    expect(await firstRow(getDb().select().from(trafficHours))).toBeTruthy();
    expect((await pruneTraffic(Date.now() + 91 * 86_400_000)).traffic_hours).toBeGreaterThan(0);
  });
});
