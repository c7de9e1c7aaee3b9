import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, first, getDb, one, writeTransaction } from "@/db";
import {
  domainCertificates,
  domains,
  edgeEnvironmentVersions,
  purgeNodeStates,
  trafficHours,
  trafficMinutes,
  trafficNodeMinutes,
  trafficPushes,
} from "@/db/schema";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEdgeNode } from "@/lib/edge/nodes";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { runGit, runGitText } from "@/lib/git/run";
import { recordEdgeReport } from "@/lib/edge/report";
import { addEnvironmentRow, environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { claimDueCertificates, recordIssued } from "@/lib/https/scheduler";
import { ORDER_LEASE_MS } from "@/lib/https/settings";
import { makeTestPki, type TestPki } from "@/lib/https/test-pki";
import { purgePrefix } from "@/lib/purge/expression";
import { createPurge, PURGE_KEEP_MS, purgeStatus, type PurgeEnvironment } from "@/lib/purge/store";
import { handleMetricsPush } from "@/lib/traffic/push-api";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

// What several console instances sharing one database do at the same moment on the edge's paths (docs/architecture.md
// "Many instances"): the certificate-order lease, purge acknowledgements and metrics pushes. Every case starts its
// operations at once through the console's own functions; on PostgreSQL they run on separate pooled connections (as
// two instances would), on SQLite they queue behind the writer. The outcome required is the same on both, exact.

const AT_ONCE = 8;

describe(`edge paths under concurrency (${dialect()})`, () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let production: PurgeEnvironment;
  let staging: PurgeEnvironment;

  beforeAll(async () => {
    temp = makeTempDataDir("ec-races-edge-");
    fixture = await makeApplication("edgerace");
    const prod = await environmentRow(fixture.app, "Production");
    const stage = await addEnvironmentRow(fixture.app, "Staging");
    production = { id: prod.id, accountId: fixture.app.accountId, applicationId: fixture.app.id, name: "Production" };
    staging = { id: stage.id, accountId: fixture.app.accountId, applicationId: fixture.app.id, name: "Staging" };
  });
  afterAll(async () => {
    await settleEdgeChanges();
    temp.cleanup();
  });

  describe("the certificate-order lease", () => {
    let pki: TestPki;
    let chainA = "";
    let chainB = "";
    let certId = 0;
    const hostname = "www.edgerace.example";

    beforeAll(async () => {
      pki = makeTestPki();
      pki.ca("ca");
      chainA = pki.issue("a", "ca", [hostname]);
      chainB = pki.issue("b", "ca", [hostname]);
      const domain = (await first(getDb().select().from(domains).where(eq(domains.hostname, hostname))))!;
      certId = (
        await writeTransaction(async (tx) =>
          one(
            tx
              .insert(domainCertificates)
              .values({
                domainId: domain.id,
                accountId: domain.accountId,
                environmentId: domain.environmentId,
                hostname,
                nextTryAt: new Date(Date.now() - 60_000),
              })
              .returning({ id: domainCertificates.id }),
          ),
        )
      ).id;
    });
    afterAll(() => pki?.remove());

    const row = async () => (await first(getDb().select().from(domainCertificates).where(eq(domainCertificates.id, certId))))!;
    const issued = (chainPem: string, name: string) => ({
      chainPem,
      keyPem: pki.read(`${name}.key`),
      timings: { total: 1, validation: 1 },
    });

    it("gives the certificate to one of many instances claiming at once; the others skip it", async () => {
      const now = new Date();
      const claims = await Promise.all(Array.from({ length: AT_ONCE }, () => claimDueCertificates(now, 10)));
      expect(claims.flat()).toEqual([{ id: certId, leaseUntil: new Date(now.getTime() + ORDER_LEASE_MS) }]);
      // A claim while the lease runs finds nothing either.
      expect(await claimDueCertificates(new Date(now.getTime() + ORDER_LEASE_MS - 1), 10)).toEqual([]);
      expect((await row()).leaseUntil).toEqual(new Date(now.getTime() + ORDER_LEASE_MS));
    });

    it("lets one instance take over an expired lease, and a holder that lost it cannot store over the new holder's", async () => {
      // The lease of the case above ran out with its order still going (a stalled process).
      const stale = (await row()).leaseUntil!;
      const takeover = new Date(stale.getTime() + 1);
      const claims = (await Promise.all(Array.from({ length: AT_ONCE }, () => claimDueCertificates(takeover, 10)))).flat();
      expect(claims).toHaveLength(1);
      const mine = claims[0];
      expect(mine.leaseUntil).toEqual(new Date(takeover.getTime() + ORDER_LEASE_MS));
      const lost = { id: certId, leaseUntil: stale };

      // The old holder's certificate arrives first: the new holder's lease must stand (the new order goes on).
      expect(await recordIssued(lost, issued(chainA, "a"), new Date())).toBe(false);
      expect(await row()).toMatchObject({ state: "pending", chainPem: null, leaseUntil: mine.leaseUntil });

      // Both store at the same moment: the holder's certificate is the one kept, once.
      const [old, holder] = await Promise.all([
        recordIssued(lost, issued(chainA, "a"), new Date()),
        recordIssued(mine, issued(chainB, "b"), new Date()),
      ]);
      expect({ old, holder }).toEqual({ old: false, holder: true });
      expect(await row()).toMatchObject({ state: "issued", chainPem: chainB, leaseUntil: null });

      // And after it: the old holder's late result changes nothing.
      expect(await recordIssued(lost, issued(chainA, "a"), new Date())).toBe(false);
      expect((await row()).chainPem).toBe(chainB);
    });
  });

  describe("purge acknowledgements", () => {
    const NODES = 12;
    let nodes: { id: number }[] = [];
    const purge = async (env: PurgeEnvironment, prefix: string) => {
      const made = purgePrefix(`e${env.id}`, prefix);
      if (!made.ok) throw new Error(made.message);
      const created = await createPurge({ environment: env, actor: fixture.actor("developer"), purge: made.purge });
      if (!created.ok) throw new Error(created.refusal.message);
      return created.id;
    };
    const ack = (nodeId: number, purgeIds: number[]) =>
      recordEdgeReport(
        nodeId,
        { version: 0, environments: [], purges: purgeIds.map((id) => ({ id, appliedAt: new Date().toISOString() })) },
        "127.0.0.1",
      );
    const statesOf = async (purgeId: number) =>
      getDb().select().from(purgeNodeStates).where(eq(purgeNodeStates.purgeId, purgeId)).orderBy(purgeNodeStates.nodeId);

    beforeAll(async () => {
      nodes = [];
      for (let i = 0; i < NODES; i++) nodes.push((await createEdgeNode(`purge-race-${i}`)).node);
      // Every node is active (a report within two minutes): each one counts for "applied by all".
      await Promise.all(nodes.map((n) => recordEdgeReport(n.id, { version: 0, environments: [] }, "127.0.0.1")));
    });

    it("counts each node's acknowledgement once when all nodes, and their retries, acknowledge at once while a purge is made", async () => {
      const p1 = await purge(production, "/one/");
      // Every node acknowledges twice at once (the retry of a report racing the original), while someone purges
      // Staging and a second Production purge at the same moment.
      const [, , p2, p3] = await Promise.all([
        Promise.all(nodes.map((n) => ack(n.id, [p1]))),
        Promise.all(nodes.map((n) => ack(n.id, [p1]))),
        purge(production, "/two/"),
        purge(staging, "/three/"),
      ]);
      const states = await statesOf(p1);
      expect(states.map((s) => s.nodeId)).toEqual(nodes.map((n) => n.id));
      expect(states.every((s) => s.appliedAt !== null && s.error === null)).toBe(true);
      expect((await purgeStatus(production.id, p1))!.complete).toBe(true);
      // The purges made meanwhile were applied by nobody yet: pending on every node, not complete.
      for (const [env, id] of [
        [production, p2],
        [staging, p3],
      ] as const) {
        expect(await statesOf(id)).toEqual([]);
        const status = (await purgeStatus(env.id, id))!;
        expect(status.complete).toBe(false);
        expect(status.nodes.map((n) => n.state)).toEqual(nodes.map(() => "pending"));
      }
    });

    it("drops the acknowledgements of a purge that a new purge of its environment removes at the same moment", async () => {
      // A purge past the 30 days kept: the next purge of the environment deletes it while every node reports it.
      const made = purgePrefix(`e${staging.id}`, "/old/");
      if (!made.ok) throw new Error(made.message);
      const old = await createPurge({
        environment: staging,
        actor: fixture.actor("developer"),
        purge: made.purge,
        now: new Date(Date.now() - PURGE_KEEP_MS - 60_000),
      });
      if (!old.ok) throw new Error(old.refusal.message);
      const [, fresh] = await Promise.all([Promise.all(nodes.map((n) => ack(n.id, [old.id]))), purge(staging, "/new/")]);
      expect(await purgeStatus(staging.id, old.id)).toBeNull();
      expect(await statesOf(old.id)).toEqual([]);
      const status = (await purgeStatus(staging.id, fresh))!;
      expect(status.complete).toBe(false);
      expect(status.nodes.map((n) => n.state)).toEqual(nodes.map(() => "pending"));
    });

    it("is complete only once the last node acknowledged, however the acknowledgements interleave", async () => {
      const p = await purge(production, "/four/");
      const [last, ...others] = nodes;
      // All but one node at once, each twice; and the status read while they land is never complete.
      const seen: boolean[] = [];
      await Promise.all([
        ...others.flatMap((n) => [ack(n.id, [p]), ack(n.id, [p])]),
        ...Array.from({ length: 4 }, async () => void seen.push((await purgeStatus(production.id, p))!.complete)),
      ]);
      expect(seen).toEqual([false, false, false, false]);
      expect(await statesOf(p)).toHaveLength(NODES - 1);
      const before = (await purgeStatus(production.id, p))!;
      expect(before.complete).toBe(false);
      expect(before.nodes.filter((n) => n.state === "pending").length).toBe(1);
      await Promise.all([ack(last.id, [p]), ack(last.id, [p])]);
      expect(await statesOf(p)).toHaveLength(NODES);
      expect((await purgeStatus(production.id, p))!.complete).toBe(true);
    });
  });

  describe("metrics pushes", () => {
    const NODES = AT_ONCE;
    let nodes: { id: number; token: string }[] = [];
    // Minutes of one hour, three hours ago: every push below adds to the same minute and hour rows.
    const hour = Date.now() - (Date.now() % 3_600_000) - 3 * 3_600_000;
    const at = (minute: number) => hour + minute * 60_000;

    const minute = (environmentId: number, atMs: number, requests: number) => ({
      environmentId,
      at: atMs,
      requests,
      status2xx: requests,
      status3xx: 0,
      status4xx: 0,
      status5xx: 0,
      bytesIn: requests * 10,
      bytesOut: requests * 100,
      hits: 0,
      misses: 0,
      passes: 0,
      blocked: 0,
      latency: [requests, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
    const body = (minutes: unknown[]) => ({
      pushId: randomUUID(),
      createdAt: Date.now(),
      lostLogs: 0,
      droppedPushes: 0,
      minutes,
      recent: [],
    });
    const send = async (token: string, payload: unknown) => {
      const res = await handleMetricsPush(
        new Request("http://localhost/api/edge/v1/metrics", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(payload),
        }),
      );
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const totals = async () => {
      const sum = (table: typeof trafficMinutes | typeof trafficHours) =>
        first(
          getDb()
            .select({
              requests: sql<number>`coalesce(sum(${table.requests}), 0)`,
              bytesOut: sql<number>`coalesce(sum(${table.bytesOut}), 0)`,
            })
            .from(table),
        );
      const byNode = await getDb()
        .select({ nodeId: trafficNodeMinutes.nodeId, requests: sql<number>`sum(${trafficNodeMinutes.requests})` })
        .from(trafficNodeMinutes)
        .groupBy(trafficNodeMinutes.nodeId)
        .orderBy(trafficNodeMinutes.nodeId);
      const pushes = await first(
        getDb()
          .select({ n: sql<number>`count(*)` })
          .from(trafficPushes),
      );
      return {
        minutes: await sum(trafficMinutes),
        hours: await sum(trafficHours),
        byNode: byNode.map((r) => ({ nodeId: r.nodeId, requests: Number(r.requests) })),
        pushes: Number(pushes!.n),
      };
    };
    const reset = () =>
      writeTransaction(async (tx) => {
        for (const table of [trafficMinutes, trafficHours, trafficNodeMinutes, trafficPushes]) await tx.delete(table);
      });

    beforeAll(async () => {
      nodes = [];
      for (let i = 0; i < NODES; i++) {
        const made = await createEdgeNode(`metrics-race-${i}`);
        nodes.push({ id: made.node.id, token: made.token });
      }
    });

    it("counts one push once when its copies (a retry racing the original) arrive at the same moment", async () => {
      await reset();
      const payload = body([minute(production.id, at(1), 7), minute(staging.id, at(1), 5)]);
      const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => send(nodes[0].token, payload)));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(answers.filter((a) => a.body.duplicate === false)).toEqual([
        { status: 200, body: { duplicate: false, minutes: 2, ignored: 0 } },
      ]);
      expect(await totals()).toEqual({
        minutes: { requests: 12, bytesOut: 1200 },
        hours: { requests: 12, bytesOut: 1200 },
        byNode: [{ nodeId: nodes[0].id, requests: 12 }],
        pushes: 1,
      });
    });

    it("adds every push when different nodes push the same minutes at once, each push also sent twice", async () => {
      await reset();
      // Node i pushes minutes 0..5 of both environments with i+1 requests each; half the nodes list them newest
      // first (a node sending its backlog), the others oldest first, as nothing requires an order.
      const pushes = nodes.map((n, i) => {
        const minutes = [0, 1, 2, 3, 4, 5].flatMap((m) => [minute(production.id, at(m), i + 1), minute(staging.id, at(m), i + 1)]);
        return { node: n, payload: body(i % 2 ? minutes.reverse() : minutes) };
      });
      const answers = await Promise.all(pushes.flatMap((p) => [send(p.node.token, p.payload), send(p.node.token, p.payload)]));
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(NODES);
      // Each node: 12 minute rows × (i+1) requests; all nodes: 12 × (1+…+8) = 432.
      const all = 12 * ((NODES * (NODES + 1)) / 2);
      expect(await totals()).toEqual({
        minutes: { requests: all, bytesOut: all * 100 },
        hours: { requests: all, bytesOut: all * 100 },
        byNode: nodes.map((n, i) => ({ nodeId: n.id, requests: 12 * (i + 1) })),
        pushes: NODES,
      });
      const perMinute = await getDb()
        .select({ requests: trafficMinutes.requests })
        .from(trafficMinutes)
        .where(and(eq(trafficMinutes.environmentId, production.id), eq(trafficMinutes.at, at(3))));
      expect(perMinute).toEqual([{ requests: (NODES * (NODES + 1)) / 2 }]);
    });
  });
  describe("edge reconciles", () => {
    // PostgreSQL: instances reconcile under one advisory lock (lib/edge/versions.ts). On SQLite a process reconciles
    // one at a time and reads outside the writer lock (docs/edge.md "Versions"), so this case is not claimed there.
    it.runIf(dialect() === "postgres")(
      "many instances reconciling while the branch moves: none fails, and the last stored view is the newest head",
      async () => {
        // Each call below starts as a reconcile of another instance would: not behind this process's queue.
        const queue = globalThis as unknown as Record<symbol, unknown>;
        const reconcileAsAnotherInstance = () => {
          queue[Symbol.for("edge-console.edge-reconcile-queue")] = undefined;
          return reconcileEdgeState({ applicationId: fixture.app.id });
        };
        await settleEdgeChanges();
        const repo = fixture.repo;
        let head = await runGitText(["rev-parse", "refs/heads/Production"], { gitDir: repo });
        const running: Promise<unknown>[] = [];
        for (let i = 0; i < AT_ONCE; i++) {
          head = await runGitText(["commit-tree", `${head}^{tree}`, "-p", head, "-m", `move ${i}`], {
            gitDir: repo,
            env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" },
          });
          await runGit(["update-ref", "refs/heads/Production", head], { gitDir: repo });
          running.push(reconcileAsAnotherInstance());
        }
        const outcomes = await Promise.allSettled(running);
        expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
        const stored = await first(
          getDb().select().from(edgeEnvironmentVersions).where(eq(edgeEnvironmentVersions.environmentId, production.id)),
        );
        expect(stored?.commit).toBe(head);
      },
    );
  });
});
