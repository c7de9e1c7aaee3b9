import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first } from "@/db";
import { edgeEnvironmentVersions, edgeNodes, edgeStateVersion, operatorEvents, users } from "@/db/schema";
import { createApiToken } from "@/lib/api-tokens";
import { operations } from "@/lib/api/operations";
import { createApiRouter } from "@/lib/api/router";
import { addDomain } from "@/lib/domains/manage";
import { createEnvironment } from "@/lib/environments/create";
import { deleteEnvironment } from "@/lib/environments/delete";
import { saveFile } from "@/lib/environments/edit";
import { commitFiles, git, makeApplication } from "@/lib/environments/fixtures";
import { deleteApplication } from "@/lib/applications/settings";
import { recordPush } from "@/lib/git-http/receive";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { handleEdgeReport, handleEdgeState } from "./api";
import { CatFileBatch } from "./git-batch";
import { currentEdgeVersion, settleEdgeChanges, waitForEdgeVersion } from "./changes";
import { createEdgeNode, EdgeNodeNameError, listEdgeNodes, revokeEdgeNode, setEdgeNodeDrain } from "./nodes";
import { isUnderCnameSuffix } from "./routable";
import { environmentEdgeSecret, environmentServing } from "./serving";
import { buildDesiredState, clearEdgeStateCache, type EdgeDesiredState } from "./state";
import { runEdgeTokenCommand } from "./token-cli";
import { reconcileEdgeState } from "./versions";

// The console half of docs/edge.md on a temporary SQLite file and real bare repositories: versions move with the
// product's own paths (editor save, domain add, environment create/delete), the long-poll, reports, node tokens.

const host = (name: string) => ({ hostname: name, unicode: name, isApex: false });

async function state(token: string, query: string, init: RequestInit = {}) {
  const response = await handleEdgeState(
    new Request(`http://localhost/api/edge/v1/state?${query}`, { ...init, headers: { authorization: `Bearer ${token}` } }),
  );
  return { status: response.status, body: response.status === 200 ? ((await response.json()) as EdgeDesiredState) : await response.json() };
}

function report(token: string, body: unknown) {
  return handleEdgeReport(
    new Request("http://localhost/api/edge/v1/report", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-forwarded-for": "127.0.0.9" },
      body: JSON.stringify(body),
    }),
  );
}

const versionRows = async () =>
  Object.fromEntries(
    (await getDb().select().from(edgeEnvironmentVersions)).map((r) => [
      r.environmentId,
      { version: r.version, removed: r.removedAt !== null },
    ]),
  );

describe("edge desired state (temp SQLite, real repositories)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;

  beforeEach(async () => {
    temp = makeTempDataDir("ec-edge-");
    clearEdgeStateCache();
    fixture = await makeApplication("acme");
    await settleEdgeChanges();
  });
  afterEach(async () => {
    await settleEdgeChanges();
    temp.cleanup();
  });

  const production = async () => (await getDb().query.environments.findFirst({ where: (e, { eq: is }) => is(e.name, "Production") }))!;

  it("versions: since=0 is full; a commit on Staging bumps only Staging; a domain bumps; a deletion is in removed", async () => {
    const { node, token } = await createEdgeNode("edge-1");
    const prod = await production();
    const full = await state(token, "since=0&wait=0");
    expect(full.status).toBe(200);
    const first = full.body as EdgeDesiredState;
    expect(first.full).toBe(true);
    expect(first.node).toEqual({ name: node.name, drain: false });
    expect(first.settings).toMatchObject({ allowCodeModules: false, cnameSuffix: "edge.localhost" });
    expect(first.removed).toEqual([]);
    expect(first.environments).toHaveLength(1);
    const e = first.environments[0];
    expect(e).toMatchObject({
      key: `e${prod.id}`,
      environmentId: prod.id,
      applicationId: fixture.app.id,
      accountId: fixture.account.id,
      name: "Production",
      commit: git(fixture.repo, "rev-parse", "Production"),
      hostnames: ["www.acme.example"],
      chain: ["varnish"],
      origin: { address: "203.0.113.7" },
      certificates: [],
      acmeChallenges: [],
    });
    expect(e.secret).toBe(await environmentEdgeSecret(prod.id));
    expect(Object.keys(e.files).sort()).toEqual(["varnish/default.vcl", "varnish/proxy-features.json"]);
    expect(e.files["varnish/default.vcl"]).toContain("vcl 4");

    // Staging: a new environment, then an editor save on it moves Staging only.
    const created = await createEnvironment({
      application: fixture.app,
      actor: fixture.actor("owner"),
      name: "Staging",
      source: "Production",
      hostname: host("staging.acme.example"),
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    await settleEdgeChanges();
    const afterCreate = await currentEdgeVersion();
    expect(afterCreate).toBeGreaterThan(first.version);
    const before = await versionRows();
    const vcl = git(fixture.repo, "show", "Staging:varnish/default.vcl");
    const saved = await saveFile({
      application: fixture.app,
      environment: created.environment,
      actor: fixture.actor("owner"),
      path: "varnish/default.vcl",
      content: `${vcl}\n# staging change\n`,
      baseCommit: git(fixture.repo, "rev-parse", "Staging"),
      message: "",
    });
    expect(saved).toMatchObject({ ok: true });
    await settleEdgeChanges();
    const after = await versionRows();
    expect(after[prod.id]).toEqual(before[prod.id]);
    expect(after[created.environment.id].version).toBeGreaterThan(before[created.environment.id].version);
    const incremental = (await state(token, `since=${afterCreate}&wait=0`)).body as EdgeDesiredState;
    expect(incremental.full).toBe(false);
    expect(incremental.environments.map((x) => x.name)).toEqual(["Staging"]);
    expect(incremental.environments[0].files["varnish/default.vcl"]).toContain("# staging change");

    // Unchanged state: a reconcile gives the same version, and a poll at it answers empty lists.
    const steady = await currentEdgeVersion();
    expect((await reconcileEdgeState()).version).toBe(steady);
    expect((await state(token, `since=${steady}&wait=0`)).body).toMatchObject({ version: steady, environments: [], removed: [] });

    // A domain on Production bumps Production.
    const added = await addDomain({
      environment: prod,
      actor: fixture.actor("owner"),
      hostname: host("shop.acme.example"),
      ownershipRequired: false,
    });
    expect(added.ok).toBe(true);
    await settleEdgeChanges();
    const withDomain = (await state(token, `since=${steady}&wait=0`)).body as EdgeDesiredState;
    expect(withDomain.environments.map((x) => [x.name, x.hostnames])).toEqual([["Production", ["shop.acme.example", "www.acme.example"]]]);

    // Deleting Staging: it appears in removed; a full state no longer lists it.
    const beforeDelete = await currentEdgeVersion();
    const deleted = await deleteEnvironment({
      application: fixture.app,
      environment: created.environment,
      actor: fixture.actor("owner"),
      confirmation: "Staging",
    });
    expect(deleted).toMatchObject({ ok: true });
    await settleEdgeChanges();
    const removal = (await state(token, `since=${beforeDelete}&wait=0`)).body as EdgeDesiredState;
    expect(removal.removed).toEqual([created.environment.id]);
    expect(removal.environments).toEqual([]);
    const again = (await state(token, "since=0&wait=0")).body as EdgeDesiredState;
    expect(again.environments.map((x) => x.name)).toEqual(["Production"]);
    expect(again.version).toBe(removal.version);
  });

  it("does not send an environment without routable hostnames (ownership not proven, or under the CNAME suffix)", async () => {
    const { token } = await createEdgeNode("edge-1");
    const created = await createEnvironment({
      application: fixture.app,
      actor: fixture.actor("owner"),
      name: "Claimed",
      source: "Production",
      hostname: host("claimed.acme.example"),
      ownershipRequired: true,
    });
    if (!created.ok) throw new Error(created.message);
    await settleEdgeChanges();
    const full = (await state(token, "since=0&wait=0")).body as EdgeDesiredState;
    expect(full.environments.map((x) => x.name)).toEqual(["Production"]);
    expect(isUnderCnameSuffix("www.acme.example.edge.localhost", "edge.localhost")).toBe(true);
    expect(isUnderCnameSuffix("edge.localhost.example", "edge.localhost")).toBe(false);
  });

  it("long-poll: wakes within the wait when a change lands; otherwise answers the same version with empty lists", async () => {
    const { token } = await createEdgeNode("edge-1");
    const since = await currentEdgeVersion();
    const quiet = await state(token, `since=${since}&wait=1`);
    expect(quiet.body).toMatchObject({ version: since, full: false, environments: [], removed: [] });

    const waiting = state(token, `since=${since}&wait=20`);
    await new Promise((r) => setTimeout(r, 100));
    const prod = await production();
    await addDomain({ environment: prod, actor: fixture.actor("owner"), hostname: host("late.acme.example"), ownershipRequired: false });
    const woke = (await waiting).body as EdgeDesiredState;
    expect(woke.version).toBeGreaterThan(since);
    expect(woke.environments.map((x) => x.hostnames)).toEqual([["late.acme.example", "www.acme.example"]]);

    // Another process bumps the version table only, without NOTIFY (an instance of an older release): the periodic
    // re-read sees it (every second; every 5 s while the process LISTENs on PostgreSQL).
    const other = waitForEdgeVersion(woke.version, 20_000);
    await writeTransaction((tx) =>
      tx
        .update(edgeStateVersion)
        .set({ version: woke.version + 1 })
        .where(eq(edgeStateVersion.id, 1)),
    );
    expect(await other).toBe(woke.version + 1);

    // A client that goes away ends the wait.
    const controller = new AbortController();
    const gone = handleEdgeState(
      new Request(`http://localhost/api/edge/v1/state?since=${woke.version + 1}&wait=60`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal,
      }),
    );
    controller.abort();
    expect((await gone).status).toBe(499);
  });

  it("drain: a waiting long-poll wakes with node.drain at once; the same value again moves nothing; a revocation during the wait is a 401", async () => {
    const { node, token } = await createEdgeNode("edge-1");
    const since = await currentEdgeVersion();
    const waiting = state(token, `since=${since}&wait=20`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect(await setEdgeNodeDrain(node.id, true)).toBe(true);
    const drained = (await waiting).body as EdgeDesiredState;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(drained).toMatchObject({ version: since + 1, node: { name: "edge-1", drain: true }, environments: [], removed: [] });
    expect(await setEdgeNodeDrain(node.id, true)).toBe(true);
    expect(await currentEdgeVersion()).toBe(since + 1);
    expect(await setEdgeNodeDrain(node.id + 100, true)).toBe(false);

    const undrain = state(token, `since=${since + 1}&wait=20`);
    await new Promise((r) => setTimeout(r, 100));
    await setEdgeNodeDrain(node.id, false);
    expect(((await undrain).body as EdgeDesiredState).node).toEqual({ name: "edge-1", drain: false });

    const revokedWhileWaiting = state(token, `since=${since + 2}&wait=2`);
    await revokeEdgeNode(node.id);
    expect((await revokedWhileWaiting).status).toBe(401);
  });

  it("reports: a round trip makes environmentServing say 1 of 1; a failure names the tool and message", async () => {
    const { node, token } = await createEdgeNode("edge-1");
    const prod = await production();
    const desired = (await state(token, "since=0&wait=0")).body as EdgeDesiredState;
    const commit = desired.environments[0].commit;
    const applied = await report(token, {
      version: desired.version,
      ports: { http: 8080, https: 8443 },
      tools: { haproxy: "2.6.12", varnish: "7.1.1" },
      error: null,
      environments: [
        {
          environmentId: prod.id,
          version: desired.environments[0].version,
          status: "applied",
          servingCommit: commit,
          appliedAt: "2026-12-04T14:02:11Z",
        },
      ],
    });
    expect(applied.status).toBe(204);
    const serving = (await environmentServing([prod.id])).get(prod.id)!;
    expect(serving).toMatchObject({ desiredCommit: commit, nodesTotal: 1, nodesServing: 1, failures: [] });
    expect(serving.lastAppliedAt?.toISOString()).toBe("2026-12-04T14:02:11.000Z");
    const [view] = await listEdgeNodes();
    expect(view).toMatchObject({
      id: node.id,
      address: "127.0.0.9",
      httpPort: 8080,
      httpsPort: 8443,
      appliedVersion: desired.version,
      tools: { haproxy: "2.6.12", varnish: "7.1.1" },
      lastError: null,
      stale: false,
    });

    const failed = await report(token, {
      version: desired.version,
      address: "127.0.0.2",
      environments: [
        {
          environmentId: prod.id,
          version: desired.environments[0].version,
          status: "failed",
          servingCommit: commit,
          tool: "varnishd",
          message: "VCL compilation failed",
        },
      ],
    });
    expect(failed.status).toBe(204);
    const after = (await environmentServing([prod.id])).get(prod.id)!;
    expect(after.nodesServing).toBe(0);
    expect(after.failures).toMatchObject([{ node: "edge-1", tool: "varnishd", message: "VCL compilation failed", servingCommit: commit }]);
    expect((await listEdgeNodes())[0].address).toBe("127.0.0.2");

    const bad = await report(token, { version: -1, environments: [{ environmentId: prod.id, status: "maybe" }] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await bad.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(expect.arrayContaining(["version", "environments.0.status"]));
  });

  it("serving: a new commit is applying while the previous one is served; drained nodes count; a revoked node keeps its last commit", async () => {
    const one = await createEdgeNode("edge-1");
    const two = await createEdgeNode("edge-2");
    const prod = await production();
    const first = (await state(one.token, "since=0&wait=0")).body as EdgeDesiredState;
    const applied = (commit: string, version: number) => ({
      version,
      environments: [{ environmentId: prod.id, version, status: "applied", servingCommit: commit }],
    });
    const old = first.environments[0].commit;
    for (const { token } of [one, two]) expect((await report(token, applied(old, first.environments[0].version))).status).toBe(204);
    await setEdgeNodeDrain(two.node.id, true);
    let serving = (await environmentServing([prod.id])).get(prod.id)!;
    expect(serving).toMatchObject({ desiredCommit: old, nodesTotal: 2, nodesServing: 2, nodesDrained: 1, nodesStale: 0, applying: [] });

    // A push: the desired commit moves; both nodes still serve the old one and are applying the new one.
    const vcl = git(fixture.repo, "show", "Production:varnish/default.vcl");
    const pushed = await commitFiles(fixture.repo, old, { "varnish/default.vcl": `${vcl}\n# next\n` }, { branch: "Production" });
    await recordPush({
      application: fixture.app,
      actor: fixture.actor("owner"),
      tokenPrefix: "ec_test",
      updates: [{ ref: "refs/heads/Production", oldOid: old, newOid: pushed }],
      appUrl: "http://localhost",
    });
    await settleEdgeChanges();
    serving = (await environmentServing([prod.id])).get(prod.id)!;
    expect(serving).toMatchObject({ desiredCommit: pushed, nodesServing: 0, failures: [] });
    expect(serving.applying.map((n) => [n.node, n.servingCommit, n.drain])).toEqual([
      ["edge-1", old, false],
      ["edge-2", old, true],
    ]);

    // A refusal of the new version is shown with what stays served; a refusal of an older version is history.
    const next = ((await state(one.token, `since=${first.version}&wait=0`)).body as EdgeDesiredState).environments[0];
    const refusal = { environmentId: prod.id, status: "failed", servingCommit: old, tool: "varnishd", message: "VCL compilation failed" };
    await report(one.token, { version: next.version, environments: [{ ...refusal, version: next.version }] });
    await report(two.token, { version: next.version, environments: [{ ...refusal, version: next.version - 1 }] });
    serving = (await environmentServing([prod.id])).get(prod.id)!;
    expect(serving.failures).toMatchObject([{ node: "edge-1", tool: "varnishd", servingCommit: old }]);
    expect(serving.applying.map((n) => n.node)).toEqual(["edge-2"]);

    // Stale: no contact for more than 2 minutes.
    const later = new Date(Date.now() + 3 * 60_000);
    expect((await environmentServing([prod.id], later)).get(prod.id)!.nodesStale).toBe(2);

    // Revoked: no active node any more, each revoked node with the commit it served when last heard from.
    await report(one.token, applied(pushed, next.version));
    await revokeEdgeNode(one.node.id);
    await revokeEdgeNode(two.node.id);
    serving = (await environmentServing([prod.id])).get(prod.id)!;
    expect(serving).toMatchObject({ nodesTotal: 0, nodesServing: 0, applying: [], failures: [] });
    expect(serving.revoked.map((n) => [n.node, n.servingCommit])).toEqual([
      ["edge-1", pushed],
      ["edge-2", old],
    ]);
  });

  it("tokens: unknown, revoked and user tokens get 401 on the edge API; a node token gets 401 on /api/v1; bad parameters 400", async () => {
    const { node, token } = await createEdgeNode("edge-1");
    expect((await state(token, "since=0&wait=0")).status).toBe(200);
    expect((await state(token, "since=0&wait=61")).status).toBe(400);
    expect((await state(token, "since=-1&wait=0")).status).toBe(400);

    const nobody = await handleEdgeState(new Request("http://localhost/api/edge/v1/state?wait=0"));
    expect(nobody.status).toBe(401);
    expect(nobody.headers.get("content-type")).toBe("application/problem+json");
    expect((await state(`en_${"A".repeat(43)}`, "wait=0")).status).toBe(401);

    const user = await writeTransaction((tx) =>
      first(
        tx
          .select()
          .from(users)
          .where(eq(users.id, fixture.user("owner").id)),
      ),
    );
    const { value: userToken } = await createApiToken({ userId: user!.id, name: "ci" });
    expect((await state(userToken, "since=0&wait=0")).status).toBe(401);
    expect((await report(userToken, { version: 1 })).status).toBe(401);

    const api = createApiRouter(operations);
    const withNodeToken = await api(new Request("http://localhost/api/v1/account", { headers: { authorization: `Bearer ${token}` } }));
    expect(withNodeToken.status).toBe(401);
    const withUserToken = await api(new Request("http://localhost/api/v1/account", { headers: { authorization: `Bearer ${userToken}` } }));
    expect(withUserToken.status).toBe(200);

    expect(await setEdgeNodeDrain(node.id, true)).toBe(true);
    expect(((await state(token, "since=0&wait=0")).body as EdgeDesiredState).node).toEqual({ name: "edge-1", drain: true });
    expect(await revokeEdgeNode(node.id)).toBe(true);
    expect(await revokeEdgeNode(node.id)).toBe(false);
    expect((await state(token, "since=0&wait=0")).status).toBe(401);
    expect((await report(token, { version: 1 })).status).toBe(401);
  });

  it("a push (post-receive) and an application deletion reach the edge; a since ahead of the console gives a full state", async () => {
    const { token } = await createEdgeNode("edge-1");
    const prod = await production();
    const since = await currentEdgeVersion();
    const old = git(fixture.repo, "rev-parse", "Production");
    const vcl = git(fixture.repo, "show", "Production:varnish/default.vcl");
    const pushed = await commitFiles(fixture.repo, old, { "varnish/default.vcl": `${vcl}\n# pushed\n` }, { branch: "Production" });
    await recordPush({
      application: fixture.app,
      actor: fixture.actor("owner"),
      tokenPrefix: "ec_test",
      updates: [{ ref: "refs/heads/Production", oldOid: old, newOid: pushed }],
      appUrl: "http://localhost",
    });
    await settleEdgeChanges();
    const afterPush = (await state(token, `since=${since}&wait=0`)).body as EdgeDesiredState;
    expect(afterPush.environments.map((e) => [e.environmentId, e.commit])).toEqual([[prod.id, pushed]]);
    expect(afterPush.environments[0].files["varnish/default.vcl"]).toContain("# pushed");

    expect(((await state(token, `since=${afterPush.version + 100}&wait=0`)).body as EdgeDesiredState).full).toBe(true);

    const deleted = await deleteApplication({
      applicationId: fixture.app.id,
      actor: fixture.actor("owner"),
      confirmation: fixture.app.name,
    });
    expect(deleted.ok).toBe(true);
    await settleEdgeChanges();
    const gone = (await state(token, `since=${afterPush.version}&wait=0`)).body as EdgeDesiredState;
    expect(gone.removed).toEqual([prod.id]);
    expect(((await state(token, "since=0&wait=0")).body as EdgeDesiredState).environments).toEqual([]);
  });

  it("builds the full state with one git process per repository, and from the cache with none", async () => {
    await makeApplication("beta");
    await makeApplication("gamma");
    await settleEdgeChanges();
    clearEdgeStateCache();
    const before = CatFileBatch.started;
    const full = await buildDesiredState({ name: "edge-1", drain: false }, 0);
    expect(full.environments.map((e) => e.hostnames[0]).sort()).toEqual(["www.acme.example", "www.beta.example", "www.gamma.example"]);
    expect(full.environments.every((e) => Object.keys(e.files).length === 2)).toBe(true);
    expect(CatFileBatch.started - before).toBe(3);
    const cached = await buildDesiredState({ name: "edge-1", drain: false }, 0);
    expect(CatFileBatch.started - before).toBe(3);
    expect(cached.environments).toEqual(full.environments);
  });

  it("node names: the rule, case-insensitive uniqueness, and the edge:token command's messages and exit codes", async () => {
    await createEdgeNode("edge-1");
    await expect(createEdgeNode("EDGE-1")).rejects.toMatchObject({ code: "duplicate-name" });
    await expect(createEdgeNode("-x")).rejects.toBeInstanceOf(EdgeNodeNameError);
    await expect(createEdgeNode("a".repeat(64))).rejects.toMatchObject({ code: "invalid-name" });

    const added = await runEdgeTokenCommand(["add", "edge-2"]);
    expect(added.code).toBe(0);
    const token = /en_[A-Za-z0-9_-]{43}/.exec(added.stdout)?.[0];
    expect(token).toBeTruthy();
    const stored = await first(getDb().select().from(edgeNodes).where(eq(edgeNodes.name, "edge-2")));
    expect(stored?.tokenHash).not.toContain(token!.slice(3)); // only the SHA-256 is stored
    expect(await runEdgeTokenCommand(["add", "edge-2"])).toMatchObject({ code: 1, stderr: expect.stringContaining("exists already") });
    expect(await runEdgeTokenCommand(["revoke", "nope"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("No edge node is named nope"),
    });
    expect(await runEdgeTokenCommand(["frob"])).toMatchObject({ code: 2 });
    expect(await runEdgeTokenCommand(["add"])).toMatchObject({ code: 2 });
    expect(await runEdgeTokenCommand(["drain", "edge-2"])).toMatchObject({ code: 0 });
    expect((await runEdgeTokenCommand(["list"])).stdout).toMatch(/edge-2 {2}en_.{4}… {2}drained/);
    expect(await runEdgeTokenCommand(["revoke", "edge-2"])).toMatchObject({ code: 0 });
    expect(await runEdgeTokenCommand(["revoke", "edge-2"])).toMatchObject({ code: 1 });
    const events = await getDb().select().from(operatorEvents);
    expect(events.map((e) => e.action)).toEqual(["edge.node.add", "edge.node.drain", "edge.node.revoke"]);
  });
});
