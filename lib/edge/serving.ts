import { and, eq, inArray, isNull } from "drizzle-orm";
import { getDb } from "@/db";
import { edgeEnvironmentVersions, edgeNodeEnvironments, edgeNodes, environments } from "@/db/schema";
import { noteEdgeChange } from "./changes";
import { ensureEdgeSecret } from "./secret";

// What the edge serves for an environment, as the console's pages show it (docs/product.md §8, docs/edge.md "Desired
// state"), and the environment's X-Edge-Secret.

/** One refusal a node reported for an environment (the node keeps serving `servingCommit`, or nothing when null). */
export type EdgeServingFailure = { node: string; tool: string; message: string; at: Date; servingCommit?: string | null };

/**
 * The edge's view of one environment: the commit the desired state holds (null when the environment is not sent to
 * the edge: no routable hostname, or never reconciled), the active (not revoked) nodes, how many of them reported the
 * desired commit applied, the newest such apply, and the refusals the active nodes reported last for it.
 */
export type EnvironmentServing = {
  desiredCommit: string | null;
  /** Active nodes: not revoked. */
  nodesTotal: number;
  /** Active nodes whose last report for the environment is `applied` with `servingCommit === desiredCommit`. */
  nodesServing: number;
  lastAppliedAt: Date | null;
  failures: EdgeServingFailure[];
};

/**
 * {@link EnvironmentServing} for each of `environmentIds` (every id gets an entry). Reads edge_environment_versions,
 * edge_nodes and edge_node_environments; no writes.
 */
export async function environmentServing(environmentIds: number[]): Promise<Map<number, EnvironmentServing>> {
  const ids = [...new Set(environmentIds.filter((id) => Number.isSafeInteger(id)))];
  const result = new Map<number, EnvironmentServing>();
  if (ids.length === 0) return result;
  const db = getDb();
  const activeNodes = await db.select({ id: edgeNodes.id, name: edgeNodes.name }).from(edgeNodes).where(isNull(edgeNodes.revokedAt)).all();
  const nodeName = new Map(activeNodes.map((n) => [n.id, n.name]));
  const desired = new Map<number, string | null>();
  const reports: (typeof edgeNodeEnvironments.$inferSelect)[] = [];
  // SQLite limits bound parameters: ask in chunks.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db
      .select({ environmentId: edgeEnvironmentVersions.environmentId, commit: edgeEnvironmentVersions.commit })
      .from(edgeEnvironmentVersions)
      .where(and(inArray(edgeEnvironmentVersions.environmentId, chunk), isNull(edgeEnvironmentVersions.removedAt)))
      .all();
    for (const row of rows) desired.set(row.environmentId, row.commit);
    reports.push(...(await db.select().from(edgeNodeEnvironments).where(inArray(edgeNodeEnvironments.environmentId, chunk)).all()));
  }
  for (const id of ids) {
    result.set(id, {
      desiredCommit: desired.get(id) ?? null,
      nodesTotal: activeNodes.length,
      nodesServing: 0,
      lastAppliedAt: null,
      failures: [],
    });
  }
  for (const report of reports) {
    const name = nodeName.get(report.nodeId);
    const serving = result.get(report.environmentId);
    if (name === undefined || !serving) continue;
    if (report.status === "applied") {
      if (serving.desiredCommit !== null && report.servingCommit === serving.desiredCommit) {
        serving.nodesServing += 1;
        const at = report.appliedAt ?? report.reportedAt;
        if (!serving.lastAppliedAt || at > serving.lastAppliedAt) serving.lastAppliedAt = at;
      }
    } else {
      serving.failures.push({
        node: name,
        tool: report.tool ?? "unknown",
        message: report.message ?? "",
        at: report.reportedAt,
        servingCommit: report.servingCommit,
      });
    }
  }
  return result;
}

/**
 * The X-Edge-Secret of environment `environmentId` (docs/edge.md "Desired state": `secret`): made on first use (32
 * random bytes, base64url) and kept. Throws when the environment does not exist. Making it changes the environment's
 * fingerprint, so the edge is told (noteEdgeChange).
 */
export async function environmentEdgeSecret(environmentId: number): Promise<string> {
  const row = await getDb().select({ secret: environments.edgeSecret }).from(environments).where(eq(environments.id, environmentId)).get();
  if (!row) throw new Error(`Environment ${environmentId} does not exist.`);
  if (row.secret) return row.secret;
  const { secret, created } = await ensureEdgeSecret(environmentId);
  if (created) void noteEdgeChange({ environmentId });
  return secret;
}
