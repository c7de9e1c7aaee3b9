import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb } from "@/db";
import { auditEvents, purges } from "@/db/schema";
import { createApiToken } from "@/lib/api-tokens";
import { commitFiles, environmentRow, git, makeApplication } from "@/lib/environments/fixtures";
import { createEdgeNode } from "@/lib/edge/nodes";
import { recordEdgeReport } from "@/lib/edge/report";
import { buildDesiredState } from "@/lib/edge/state";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { PURGE_KEEP_MS, PURGE_RATE_LIMIT, createPurge, waitForPurge } from "@/lib/purge/store";
import { purgeEverything } from "@/lib/purge/expression";
import { createApiRouter } from "../router";
import { buildOpenApiDocument } from "../openapi";
import { operations } from ".";

// Purge through the REST API without a node (docs/product.md §10 "Purge"): who may purge what, 404 for a chain without
// varnish, 400 for a malformed expression, 429 after 20 purges a minute, the audit row, the purge in a node's desired
// state until the node reports it, and 202 with the node's state when it does not within the wait. The real node's
// side is lib/purge/purge-e2e.test.ts.

vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

describe("purge API", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let shop: Awaited<ReturnType<typeof makeApplication>>;
  let plain: Awaited<ReturnType<typeof makeApplication>>;
  const tokens: Record<string, string> = {};
  const handle = createApiRouter(operations);
  const call = async (who: string, app: Awaited<ReturnType<typeof makeApplication>>, query = "", env = "Production") => {
    const res = await handle(
      new Request(
        `http://localhost/api/v1/account/${app.app.accountId}/application/${app.app.id}/environment/${env}/proxy/varnish/state${query}`,
        { method: "POST", headers: { authorization: `Bearer ${tokens[who]}` } },
      ),
    );
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const count = async () => (await getDb().select().from(purges)).length;

  beforeAll(async () => {
    temp = makeTempDataDir("ec-api-purge-");
    shop = await makeApplication("apipurge");
    plain = await makeApplication("apiplain", ["owner"]);
    // apiplain's chain is empty: nothing to purge there.
    const head = git(plain.repo, "rev-parse", "Production");
    const config = JSON.parse(git(plain.repo, "show", "Production:section.config.json")) as Record<string, unknown>;
    await commitFiles(plain.repo, head, { "section.config.json": JSON.stringify({ ...config, proxychain: [] }) }, { branch: "Production" });
    await settleEdgeChanges();
    await reconcileEdgeState();
    for (const role of ["owner", "admin", "developer", "viewer"] as const)
      tokens[role] = (await createApiToken({ userId: shop.user(role).id, name: "t" })).value;
    tokens.readOnly = (await createApiToken({ userId: shop.user("owner").id, name: "ro", readOnly: true })).value;
    tokens.stranger = (await createApiToken({ userId: plain.user("owner").id, name: "t" })).value;
  });
  afterAll(() => temp.cleanup());

  it("refuses strangers (404), viewers and read-only tokens (403), a developer's own expression (403), bad expressions (400), chains without varnish (404); nothing is stored", async () => {
    expect((await call("stranger", shop)).status).toBe(404);
    expect((await call("viewer", shop)).status).toBe(403);
    expect((await call("readOnly", shop)).status).toBe(403);
    const raw = await call("developer", shop, `?banExpression=${encodeURIComponent("obj.status == 404")}`);
    expect(raw.status).toBe(403);
    expect(raw.body).toMatchObject({ detail: expect.stringMatching(/Developer.*ban expression/) });
    const bad = await call("admin", shop, `?banExpression=${encodeURIComponent('req.url ~ "^/a" ||')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: "query.banExpression", message: expect.stringMatching(/Only && joins/) }] });
    expect((await call("admin", shop, "?async=maybe")).status).toBe(400);
    expect((await call("owner", shop, "", "Nope")).status).toBe(404);
    expect((await call("stranger", plain)).status).toBe(404);
    expect(await count()).toBe(0);
  });

  it("without an active node a purge holds at once (204), is audited, and a node that reports later gets it in its desired state until it reports it", async () => {
    const answer = await call("developer", shop, `?banExpression=${encodeURIComponent('req.url ~ "^/img/"')}`);
    expect(answer.status).toBe(204);
    const [row] = await getDb().select().from(purges);
    expect(row).toMatchObject({
      kind: "prefix",
      input: "/img/",
      ban: `obj.http.x-edge-env == "e${row.environmentId}" && obj.http.x-edge-url ~ "^/img/"`,
    });
    const audit = await getDb()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "environment.purge"), eq(auditEvents.accountId, shop.app.accountId)));
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).toContain("/img/");

    const { id } = (await createEdgeNode("edge-api")).node;
    const node = { id, name: "edge-api", drain: false };
    expect((await buildDesiredState(node, 0)).purges).toEqual([
      { id: row.id, environmentId: row.environmentId, key: `e${row.environmentId}`, ban: row.ban, createdAt: row.createdAt.toISOString() },
    ]);
    await recordEdgeReport(
      id,
      { version: 0, environments: [], purges: [{ id: row.id, appliedAt: new Date().toISOString() }, { id: 99999 }] },
      null,
    );
    expect((await buildDesiredState(node, 0)).purges).toEqual([]);
  });

  it("with an active node that does not apply it: async answers 202 at once with the node pending", async () => {
    const answer = await call("admin", shop, `?async=true&banExpression=${encodeURIComponent('obj.http.content-type ~ "^image/"')}`);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      kind: "expression",
      complete: false,
      nodes: [{ node: "edge-api", state: "pending", applied_at: null }],
    });
    // What the synchronous call does for 30 s (then 202), here for 200 ms: the node is still pending.
    const environment = await environmentRow(shop.app, "Production");
    expect(await waitForPurge(environment.id, answer.body!.id as number, 200)).toMatchObject({
      complete: false,
      nodes: [{ node: "edge-api", state: "pending" }],
    });
  });

  it(`the ${PURGE_RATE_LIMIT + 1}st purge of a minute is 429 with Retry-After`, async () => {
    let status = 0;
    let retryAfter: string | null = null;
    for (let i = (await count()) + 1; i <= PURGE_RATE_LIMIT + 1; i++) {
      const r = await call("owner", shop, "?async=true");
      status = r.status;
      retryAfter = r.headers.get("retry-after");
    }
    expect(status).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(await count()).toBe(PURGE_RATE_LIMIT);
  });

  it("purges older than 30 days go when the environment purges again", async () => {
    const environment = await environmentRow(shop.app, "Production");
    const target = { id: environment.id, accountId: shop.app.accountId, applicationId: shop.app.id, name: "Production" };
    const purge = purgeEverything(`e${environment.id}`);
    const old = new Date(Date.now() - PURGE_KEEP_MS - 60_000);
    expect((await createPurge({ environment: target, actor: shop.actor("owner"), purge, now: old })).ok).toBe(true);
    const before = await count();
    const later = new Date(Date.now() + 2 * 60_000); // past this file's rate-limit minute
    expect((await createPurge({ environment: target, actor: shop.actor("owner"), purge, now: later })).ok).toBe(true);
    expect(await count()).toBe(before);
  });

  it("is in the OpenAPI document", () => {
    const doc = buildOpenApiDocument(operations, "http://localhost/api/v1") as unknown as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(
      doc.paths["/account/{accountId}/application/{applicationId}/environment/{environmentName}/proxy/varnish/state"].post.operationId,
    ).toBe("proxyStatePost");
  });
});
