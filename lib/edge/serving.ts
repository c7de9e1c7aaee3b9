import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { getDb, first } from "@/db";
import { edgeEnvironmentVersions, edgeNodeEnvironments, edgeNodes, environments } from "@/db/schema";
import { noteEdgeChange } from "./changes";
import { EDGE_NODE_STALE_MS } from "./nodes";
import { ensureEdgeSecret } from "./secret";

// What the edge serves for an environment, as the console's pages show it (docs/product.md §8, docs/edge.md "Desired
// state"), and the environment's X-Edge-Secret.

/** One refusal a node reported for an environment (the node keeps serving `servingCommit`, or nothing when null). */
export type EdgeServingFailure = { node: string; tool: string; message: string; at: Date; servingCommit?: string | null };

/** What one node last reported for the environment, and whether it is in contact (docs/edge.md "Desired state"). */
export type EdgeNodeServing = {
  node: string;
  /** The commit the node serves for the environment now (its last report), null when it serves none. */
  servingCommit: string | null;
  /** Operators take a drained node out of DNS; it keeps serving and reporting (docs/product.md §8). */
  drain: boolean;
  /** No contact for more than EDGE_NODE_STALE_MS (lib/edge/nodes): what it serves is its last word, not news. */
  stale: boolean;
  lastContactAt: Date | null;
};

/**
 * The edge's view of one environment: the commit the desired state holds (null when the environment is not sent to
 * the edge: no routable hostname, or never reconciled), the active (not revoked) nodes, how many of them reported the
 * desired commit applied, the newest such apply, the refusals the active nodes reported for the desired version,
 * the active nodes that still serve an earlier commit without having refused the desired one (they are applying it),
 * and the revoked nodes (a revoked node keeps serving its last state, docs/product.md §8).
 */
export type EnvironmentServing = {
  desiredCommit: string | null;
  /** Active nodes: not revoked. Drained and stale ones count: they still serve (docs/product.md §8). */
  nodesTotal: number;
  /** Active nodes whose last report for the environment is `applied` with `servingCommit === desiredCommit`. */
  nodesServing: number;
  /** Active nodes that are drained. */
  nodesDrained: number;
  /** Active nodes with no contact for more than EDGE_NODE_STALE_MS. */
  nodesStale: number;
  lastAppliedAt: Date | null;
  failures: EdgeServingFailure[];
  /** Active nodes that serve another commit (or none) and reported no refusal of the desired version. */
  applying: EdgeNodeServing[];
  /** Revoked nodes, with what they served for the environment when last heard from. */
  revoked: EdgeNodeServing[];
};

/**
 * {@link EnvironmentServing} for each of `environmentIds` (every id gets an entry), at `now` (for staleness). Reads
 * edge_environment_versions, edge_nodes and edge_node_environments; no writes. A refusal reported for a version
 * older than the desired one is history: that node counts as applying the new one.
 */
export async function environmentServing(environmentIds: number[], now: Date = new Date()): Promise<Map<number, EnvironmentServing>> {
  const ids = [...new Set(environmentIds.filter((id) => Number.isSafeInteger(id)))];
  const result = new Map<number, EnvironmentServing>();
  if (ids.length === 0) return result;
  const db = getDb();
  const nodes = await db.select().from(edgeNodes).orderBy(asc(edgeNodes.name));
  const active = nodes.filter((n) => !n.revokedAt);
  const isStale = (n: (typeof nodes)[number]) => now.getTime() - (n.lastContactAt ?? n.createdAt).getTime() > EDGE_NODE_STALE_MS;
  const desired = new Map<number, { commit: string | null; version: number }>();
  const reports = new Map<string, typeof edgeNodeEnvironments.$inferSelect>();
  // SQLite limits bound parameters: ask in chunks.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db
      .select({
        environmentId: edgeEnvironmentVersions.environmentId,
        commit: edgeEnvironmentVersions.commit,
        version: edgeEnvironmentVersions.version,
      })
      .from(edgeEnvironmentVersions)
      .where(and(inArray(edgeEnvironmentVersions.environmentId, chunk), isNull(edgeEnvironmentVersions.removedAt)));
    for (const row of rows) desired.set(row.environmentId, { commit: row.commit, version: row.version });
    for (const report of await db.select().from(edgeNodeEnvironments).where(inArray(edgeNodeEnvironments.environmentId, chunk)))
      reports.set(`${report.nodeId}:${report.environmentId}`, report);
  }
  for (const id of ids) {
    const want = desired.get(id) ?? null;
    const serving: EnvironmentServing = {
      desiredCommit: want?.commit ?? null,
      nodesTotal: active.length,
      nodesServing: 0,
      nodesDrained: active.filter((n) => n.drain).length,
      nodesStale: active.filter(isStale).length,
      lastAppliedAt: null,
      failures: [],
      applying: [],
      revoked: [],
    };
    for (const node of nodes) {
      const report = reports.get(`${node.id}:${id}`);
      const view: EdgeNodeServing = {
        node: node.name,
        servingCommit: report?.servingCommit ?? null,
        drain: node.drain,
        stale: !node.revokedAt && isStale(node),
        lastContactAt: node.lastContactAt,
      };
      if (node.revokedAt) {
        serving.revoked.push(view);
      } else if (report?.status === "applied" && want?.commit && report.servingCommit === want.commit) {
        serving.nodesServing += 1;
        const at = report.appliedAt ?? report.reportedAt;
        if (!serving.lastAppliedAt || at > serving.lastAppliedAt) serving.lastAppliedAt = at;
      } else if (report?.status === "failed" && want && report.version >= want.version) {
        serving.failures.push({
          node: node.name,
          tool: report.tool ?? "unknown",
          message: report.message ?? "",
          at: report.reportedAt,
          servingCommit: report.servingCommit,
        });
      } else if (want?.commit) {
        serving.applying.push(view);
      }
    }
    result.set(id, serving);
  }
  return result;
}

/**
 * The X-Edge-Secret of environment `environmentId` (docs/edge.md "Desired state": `secret`): made on first use (32
 * random bytes, base64url) and kept. Throws when the environment does not exist. Making it changes the environment's
 * fingerprint, so the edge is told (noteEdgeChange).
 */
export async function environmentEdgeSecret(environmentId: number): Promise<string> {
  const row = await first(getDb().select({ secret: environments.edgeSecret }).from(environments).where(eq(environments.id, environmentId)));
  if (!row) throw new Error(`Environment ${environmentId} does not exist.`);
  if (row.secret) return row.secret;
  const { secret, created } = await ensureEdgeSecret(environmentId);
  if (created) void noteEdgeChange({ environmentId });
  return secret;
}
