import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Role } from "@/db/schema";
import { environmentEdgeSecret, type EdgeNodeServing, type EnvironmentServing } from "@/lib/edge/serving";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { requireEnvironment } from "@/lib/environments/access";
import { signInForActions } from "@/lib/testing/action-request";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { loadEdgePanel, moduleVersions, proxyChainOf, servingLine } from "./edge-serving-data";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The environment page's edge panel: the X-Edge-Secret only for owners and admins, 404 for a non-member (through the
// page's own access check, with a real session); and the serving line's words.

describe("X-Edge-Secret on the environment page", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let f: Awaited<ReturnType<typeof makeApplication>>;

  beforeAll(async () => {
    temp = makeTempDataDir("ec-edge-secret-");
    f = await makeApplication("secret");
  });
  afterAll(() => temp.cleanup());

  const panelAs = async (user: { id: number }) => {
    await signInForActions(user);
    const access = await requireEnvironment(f.account.id, f.app.id, "Production");
    return loadEdgePanel(access, access.environment, '{"proxychain":[{"name":"varnish","image":"varnish:7.4"}]}');
  };

  it("shows the secret to owners, admins and developers (who could read it at an origin of theirs), not viewers", async () => {
    const secret = await environmentEdgeSecret((await environmentRow(f.app, "Production")).id);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    for (const role of ["owner", "admin", "developer"] as Role[]) expect((await panelAs(f.user(role))).secret, role).toBe(secret);
    for (const role of ["viewer"] as Role[]) {
      const panel = await panelAs(f.user(role));
      expect(panel.secret, role).toBeNull();
      expect(panel.modules, role).toEqual([{ name: "varnish", image: "varnish:7.4", edge: null }]);
    }
  });

  it("gives a non-member 404", async () => {
    const stranger = await makeUser("stranger.secret@example.com");
    await expect(panelAs(stranger)).rejects.toMatchObject({ digest: "NEXT_HTTP_ERROR_FALLBACK;404" });
  });
});

describe("serving line", () => {
  const now = new Date("2026-12-04T15:00:00Z");
  const served = "3f2a9c1d0e5b6a7980112233445566778899aabb";
  const serving = (s: Partial<EnvironmentServing>): EnvironmentServing => ({
    desiredCommit: served,
    nodesTotal: 2,
    nodesServing: 2,
    nodesDrained: 0,
    nodesStale: 0,
    lastAppliedAt: new Date("2026-12-04T14:02:11Z"),
    failures: [],
    applying: [],
    revoked: [],
    ...s,
  });
  const node = (n: Partial<EdgeNodeServing>): EdgeNodeServing => ({
    node: "edge-1",
    servingCommit: served,
    drain: false,
    stale: false,
    lastContactAt: new Date("2026-12-04T14:59:30Z"),
    ...n,
  });

  it("says where the environment is served, or why not", () => {
    expect(servingLine("Production", serving({}), now)).toEqual({
      text: "Production @ 3f2a9c1 on 2 of 2 nodes, applied 14:02 UTC",
      tone: "ok",
    });
    expect(
      servingLine("Production", serving({ nodesServing: 1, nodesTotal: 1, lastAppliedAt: new Date("2026-12-03T09:00:00Z") }), now).text,
    ).toBe("Production @ 3f2a9c1 on 1 of 1 node, applied 2026-12-03 09:00 UTC");
    expect(servingLine("Production", serving({ nodesServing: 1 }), now).tone).toBe("partial");
    expect(servingLine("Production", serving({ nodesTotal: 0, nodesServing: 0 }), now)).toEqual({ text: "No edge nodes", tone: "idle" });
    expect(servingLine("Production", undefined, now).text).toBe("No edge nodes");
    expect(
      servingLine(
        "Staging",
        serving({ nodesServing: 0, lastAppliedAt: null, applying: [node({ servingCommit: null, lastContactAt: null })] }),
        now,
      ).text,
    ).toBe("Not served yet: no edge node has reported");
    expect(
      servingLine("Staging", serving({ nodesServing: 0, lastAppliedAt: null, applying: [node({ servingCommit: null })] }), now),
    ).toEqual({
      text: "Not served yet: Staging @ 3f2a9c1 is being applied",
      tone: "partial",
    });
    expect(servingLine("Staging", serving({ desiredCommit: null }), now).text).toBe("Not served: Staging has no routable domain");
  });

  it("between a commit and its apply, says what is served and what is being applied", () => {
    const next = serving({ desiredCommit: "9d1e2f0aa", nodesTotal: 1, nodesServing: 0, lastAppliedAt: null, applying: [node({})] });
    expect(servingLine("Production", next, now)).toEqual({
      text: "Production @ 3f2a9c1 on 1 of 1 node · applying 9d1e2f0…",
      tone: "partial",
    });
    // One node has it, the other is still on the previous commit.
    const half = serving({ desiredCommit: "9d1e2f0aa", nodesServing: 1, applying: [node({ node: "edge-2" })] });
    expect(servingLine("Production", half, now)).toEqual({
      text: "Production @ 9d1e2f0 on 1 of 2 nodes, applied 14:02 UTC · applying on 1 more node",
      tone: "partial",
    });
  });

  it("counts drained and stale nodes (they still serve) and names them", () => {
    expect(servingLine("Production", serving({ nodesDrained: 1 }), now)).toEqual({
      text: "Production @ 3f2a9c1 on 2 of 2 nodes (1 drained), applied 14:02 UTC",
      tone: "ok",
    });
    expect(servingLine("Production", serving({ nodesDrained: 1, nodesStale: 1 }), now)).toEqual({
      text: "Production @ 3f2a9c1 on 2 of 2 nodes (1 drained, 1 stale), applied 14:02 UTC",
      tone: "partial",
    });
  });

  it("after the only node was revoked, says it still serves what it served when last seen", () => {
    const revoked = [node({ lastContactAt: new Date("2026-12-04T14:10:00Z") })];
    expect(servingLine("Production", serving({ nodesTotal: 0, nodesServing: 0, revoked }), now)).toEqual({
      text: "No active edge nodes (edge-1 was revoked; it served 3f2a9c1 when last seen (14:10 UTC))",
      tone: "partial",
    });
    const never = [node({ node: "edge-2", servingCommit: null, lastContactAt: null })];
    expect(servingLine("Staging", serving({ nodesTotal: 0, nodesServing: 0, revoked: never }), now).text).toBe(
      "No active edge nodes (1 revoked node)",
    );
    // One that served is named; the one that never did is only counted.
    expect(servingLine("Production", serving({ nodesTotal: 0, nodesServing: 0, revoked: [...revoked, ...never] }), now).text).toBe(
      "No active edge nodes (edge-1 was revoked; it served 3f2a9c1 when last seen (14:10 UTC); and 1 more revoked node)",
    );
  });

  it("names the tool that refused the newest version, on which node, and what stays served", () => {
    const failure = { node: "edge-1", tool: "varnishd", message: "VCL compilation failed", at: new Date("2026-12-04T14:05:00Z") };
    const line = servingLine(
      "Staging",
      serving({ desiredCommit: "9d1e2f0aa", nodesServing: 0, failures: [{ ...failure, servingCommit: served }] }),
      now,
    );
    expect(line).toEqual({
      text: "Staging @ 9d1e2f0: varnishd refused it on edge-1: VCL compilation failed (still serving 3f2a9c1)",
      tone: "failed",
    });
    expect(servingLine("Staging", serving({ desiredCommit: "9d1e2f0aa", nodesServing: 0, failures: [failure] }), now).text).toMatch(
      /\(serving nothing of Staging yet\)$/,
    );
  });

  it("shows the version each module runs on the edge beside the catalog label", () => {
    const chain = proxyChainOf(
      '\uFEFF{"proxychain":[{"name":"modsecurity","image":"modsecurity:3"},{"name":"varnish","image":"varnish:7.4"}]}',
    );
    expect(moduleVersions(chain, [{ varnish: "7.1.1", nginx: "1.22.1" }, { varnish: "7.1.1", nginx: "1.22.2" }, {}])).toEqual([
      { name: "modsecurity", image: "modsecurity:3", edge: "nginx 1.22.1, 1.22.2 on the edge" },
      { name: "varnish", image: "varnish:7.4", edge: "varnish 7.1.1 on the edge" },
    ]);
    expect(proxyChainOf("not json")).toEqual([]);
    expect(proxyChainOf(null)).toEqual([]);
  });
});
