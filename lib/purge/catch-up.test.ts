import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction } from "@/db";
import { edgeNodes, purgeNodeStates } from "@/db/schema";
import { purgeProblem } from "@/edge/agent/purge";
import { createEdgeNode } from "@/lib/edge/nodes";
import { recordEdgeReport } from "@/lib/edge/report";
import { addEnvironmentRow, environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { environmentTerm, purgePrefix, purgeUrl } from "./expression";
import { createPurge, PURGE_DELIVERY_MS, purgesForNode, purgeStatus, type PurgeEnvironment } from "./store";

// A node away longer than purges are handed out (docs/edge.md "Purge", "Away longer than an hour"): on a real SQLite
// file, through the console's own state and report functions (no node needed). The purges it missed come back as one
// catch-up per environment (everything of it), and its report of that books every missed purge as applied; a node
// that was there, a node made after the purges, and a purge merely reported late get no catch-up.

const MIN = 60_000;

describe("purges a node missed while away", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let production: PurgeEnvironment;
  let staging: PurgeEnvironment;
  let t0 = 0;

  const at = (minutes: number) => new Date(t0 + minutes * MIN);
  const purge = async (env: PurgeEnvironment, minutes: number, prefix: string) => {
    const made = purgePrefix(`e${env.id}`, prefix);
    if (!made.ok) throw new Error(made.message);
    const created = await createPurge({ environment: env, actor: fixture.actor("developer"), purge: made.purge, now: at(minutes) });
    if (!created.ok) throw new Error(created.refusal.message);
    return created.id;
  };
  const report = (nodeId: number, minutes: number, purges: { id: number; appliedAt?: string; error?: string }[]) =>
    recordEdgeReport(nodeId, { version: 0, environments: [], purges }, "127.0.0.1", at(minutes));
  const stateOf = async (purgeId: number, nodeId: number) =>
    (await getDb().select().from(purgeNodeStates)).find((s) => s.purgeId === purgeId && s.nodeId === nodeId);

  beforeAll(async () => {
    temp = makeTempDataDir("ec-purge-catch-up-");
    fixture = await makeApplication("catchup");
    const prod = await environmentRow(fixture.app, "Production");
    const stage = await addEnvironmentRow(fixture.app, "Staging");
    production = { id: prod.id, accountId: fixture.app.accountId, applicationId: fixture.app.id, name: "Production" };
    staging = { id: stage.id, accountId: fixture.app.accountId, applicationId: fixture.app.id, name: "Staging" };
    t0 = Date.now() + MIN;
  });
  afterAll(() => temp.cleanup());

  it("hands a node back after more than an hour one catch-up per environment, and its report books every purge it covered", async () => {
    const { node: away } = await createEdgeNode("edge-away");
    const { node: there } = await createEdgeNode("edge-there");
    const p1 = await purge(production, 1, "/a/");
    const p2 = await purge(production, 2, "/b/");
    const p3 = await purge(staging, 3, "/c/");

    // Within the hour both nodes get the purges one by one; "there" applies them at once, "away" never answers.
    for (const node of [away, there]) expect((await purgesForNode(node.id, at(4))).map((p) => p.id)).toEqual([p1, p2, p3]);
    await report(there.id, 4, [
      { id: p1, appliedAt: at(4).toISOString() },
      { id: p2, appliedAt: at(4).toISOString() },
      { id: p3, appliedAt: at(4).toISOString() },
    ]);

    // Ninety minutes later a new purge of Production; the first three are no longer handed out one by one.
    const p4 = await purge(production, 90, "/d/");
    expect(await purgesForNode(there.id, at(91))).toMatchObject([{ id: p4 }]);
    const back = await purgesForNode(away.id, at(91));
    expect(back).toEqual([
      // Catch-ups first, each everything of its environment, with the id of its newest missed purge.
      {
        id: p2,
        environmentId: production.id,
        key: `e${production.id}`,
        ban: environmentTerm(`e${production.id}`),
        createdAt: at(2).toISOString(),
        catchUp: true,
      },
      {
        id: p3,
        environmentId: staging.id,
        key: `e${staging.id}`,
        ban: environmentTerm(`e${staging.id}`),
        createdAt: at(3).toISOString(),
        catchUp: true,
      },
      expect.objectContaining({ id: p4, environmentId: production.id, ban: expect.stringContaining('"^/d/"') }),
    ]);
    delete back[0].catchUp;
    // The agent takes a catch-up as it takes any purge: limited to its environment, object fields only.
    for (const p of back) expect(purgeProblem(p)).toBeNull();

    // The node applies the three and reports them by id: p1 (covered by the catch-up p2) is booked applied too.
    const appliedAt = at(91.5).toISOString();
    await report(away.id, 92, [
      { id: p2, appliedAt },
      { id: p3, appliedAt },
      { id: p4, appliedAt },
    ]);
    for (const id of [p1, p2, p3, p4]) expect((await stateOf(id, away.id))?.appliedAt?.toISOString(), `purge ${id}`).toBe(appliedAt);
    expect(await purgesForNode(away.id, at(93))).toEqual([]);
    // What "there" applied on time keeps its own time.
    expect((await stateOf(p1, there.id))?.appliedAt?.toISOString()).toBe(at(4).toISOString());
    const status = await purgeStatus(production.id, p1, at(93));
    expect(status?.nodes.filter((n) => n.state === "applied").map((n) => n.node)).toEqual(["edge-away", "edge-there"]);
  });

  it("gives a node made after the purges no catch-up, and a refused catch-up is handed out again", async () => {
    const { node: late } = await createEdgeNode("edge-late");
    await writeTransaction((tx) =>
      tx
        .update(edgeNodes)
        .set({ createdAt: at(100) })
        .where(eq(edgeNodes.id, late.id)),
    );
    expect(await purgesForNode(late.id, at(200))).toEqual([]);

    const { node: refusing } = await createEdgeNode("edge-refusing");
    const first = await purgesForNode(refusing.id, at(200));
    // Ordered by their ids: Staging's newest missed purge is older than Production's.
    expect(first.map((p) => [p.environmentId, p.catchUp])).toEqual([
      [staging.id, true],
      [production.id, true],
    ]);
    // varnishd refused the Production catch-up: it is that purge's failure on this node, nothing older is booked,
    // and the older purges of Production it missed come back as the next catch-up.
    const refused = first[1].id;
    await report(refusing.id, 200, [{ id: refused, error: "varnishd: 106 ban refused" }]);
    expect((await stateOf(refused, refusing.id))?.error).toBe("varnishd: 106 ban refused");
    const again = await purgesForNode(refusing.id, at(201));
    expect(again.map((p) => [p.environmentId, p.catchUp])).toEqual([
      [production.id, true],
      [staging.id, true],
    ]);
    expect(again[0].id).toBeLessThan(refused);
  });

  it("books nothing more for a purge handed out one by one and reported only after the hour", async () => {
    const { node: slow } = await createEdgeNode("edge-slow");
    const p5 = await purge(staging, 300, "/e/");
    const url = purgeUrl(`e${staging.id}`, "/f?x=1");
    if (!url.ok) throw new Error(url.message);
    const p6Made = await createPurge({ environment: staging, actor: fixture.actor("admin"), purge: url.purge, now: at(301) });
    if (!p6Made.ok) throw new Error("refused");
    const p6 = p6Made.id;
    const handed = await purgesForNode(slow.id, at(302));
    // Older purges of both environments come as catch-ups (it never reported them); p5 and p6 one by one.
    expect(handed.filter((p) => !p.catchUp).map((p) => p.id)).toEqual([p5, p6]);
    const catchUps = handed.filter((p) => p.catchUp);
    // Its report reaches the console two hours later: each purge keeps the time it was applied.
    await report(slow.id, 302 + 2 * 60, [
      ...catchUps.map((p) => ({ id: p.id, appliedAt: at(302).toISOString() })),
      { id: p5, appliedAt: at(302.1).toISOString() },
      { id: p6, appliedAt: at(302.2).toISOString() },
    ]);
    expect((await stateOf(p5, slow.id))?.appliedAt?.toISOString()).toBe(at(302.1).toISOString());
    expect((await stateOf(p6, slow.id))?.appliedAt?.toISOString()).toBe(at(302.2).toISOString());
    expect(await purgesForNode(slow.id, at(302 + 2 * 60 + 1))).toEqual([]);
    expect(PURGE_DELIVERY_MS).toBe(60 * MIN);
  });
});
