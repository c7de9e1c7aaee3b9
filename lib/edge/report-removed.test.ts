import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, first } from "@/db";
import { edgeNodeEnvironments, edgeNodes } from "@/db/schema";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createEdgeNode } from "./nodes";
import { parseEdgeReport, recordEdgeReport } from "./report";

// A node reports `removed` for an environment it dropped (edge/agent/agent.ts): the console accepts it and forgets
// that node's row for the environment. Refusing it made every later report (and so the heartbeat) a 400, because
// the agent resends undelivered entries.

describe("edge report: removed environments", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-edge-removed-");
  });
  afterAll(() => temp.cleanup());

  it("accepts status removed and drops the node's row for that environment", async () => {
    const { node } = await createEdgeNode("edge-1");
    await recordEdgeReport(
      node.id,
      { version: 1, environments: [{ environmentId: 5, version: 1, status: "applied", servingCommit: "a".repeat(40) }] },
      null,
    );
    expect(await getDb().select().from(edgeNodeEnvironments)).toHaveLength(1);
    const parsed = parseEdgeReport({
      version: 2,
      environments: [{ environmentId: 5, version: 1, status: "removed", servingCommit: null }],
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const at = new Date("2026-12-04T16:00:00Z");
    await recordEdgeReport(node.id, parsed.report, null, at);
    expect(await getDb().select().from(edgeNodeEnvironments)).toEqual([]);
    expect((await first(getDb().select().from(edgeNodes).where(eq(edgeNodes.id, node.id))))!.lastContactAt).toEqual(at);
  });
});
