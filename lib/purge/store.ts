import { and, desc, eq, gt, inArray, lt, lte, notExists, sql } from "drizzle-orm";
import { getDb, writeTransaction, first, one } from "@/db";
import { edgeNodes, purgeNodeStates, purges, users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { publishEdgeVersion } from "@/lib/edge/changes";
import { bumpEdgeVersion } from "@/lib/edge/versions";
import { EDGE_NODE_STALE_MS } from "@/lib/edge/nodes";
import { readBranchBlobCached } from "@/lib/git/cache";
import { repositoryPath } from "@/lib/repositories/paths";
import { purgeEverything, type Purge, type PurgeKind } from "./expression";

// Purges in the console (docs/product.md §10 "Purge", docs/edge.md "Purge"): stored with the ban they became, audited,
// rate-limited per environment, handed to every node in its desired-state answer (`purges`) until the node reports
// it applied, and followed per node.

/** Purges per environment allowed in {@link PURGE_RATE_WINDOW_MS}. */
export const PURGE_RATE_LIMIT = 20;
export const PURGE_RATE_WINDOW_MS = 60_000;
/** How long a purge is handed to nodes that have not applied it (a node back within this time still gets it). */
export const PURGE_DELIVERY_MS = 60 * 60_000;
/** How long purges (and their per-node state) are kept; older ones of an environment go when it purges again. */
export const PURGE_KEEP_MS = 30 * 24 * 60 * 60_000;
/** Most purges in one desired-state answer. */
export const MAX_PURGES_PER_STATE = 1000;
/** How long `POST …/proxy/varnish/state` waits for every active node (docs/product.md §10). */
export const PURGE_WAIT_MS = 30_000;

/** The environment a purge is for (the caller has checked the person's role in its account). */
export type PurgeEnvironment = { id: number; accountId: number; applicationId: number; name: string };

/**
 * True when the environment's proxy chain (section.config.json on its branch) has varnish: purges exist only there
 * (docs/product.md §10; otherwise 404). `repoDir` is the application's repository folder.
 */
export async function environmentHasVarnish(repoDir: string, environmentName: string): Promise<boolean> {
  const text = await readBranchBlobCached(repositoryPath({ repoDir }), environmentName, "section.config.json").catch(() => null);
  if (!text) return false;
  try {
    const config = JSON.parse(text.replace(/^\uFEFF/, "")) as { proxychain?: unknown };
    return (
      Array.isArray(config.proxychain) &&
      config.proxychain.some((m) => !!m && typeof m === "object" && (m as { name?: unknown }).name === "varnish")
    );
  } catch {
    return false;
  }
}

/** A refused purge: `rate-limited` (with the seconds to wait). */
export type PurgeCreateRefusal = { code: "rate-limited"; message: string; retryAfterSeconds: number };

/**
 * Stores `purge` for `environment` by `actor` (one write transaction): refused when the environment already had
 * {@link PURGE_RATE_LIMIT} purges in the last minute; otherwise the row (the environment's purges older than
 * {@link PURGE_KEEP_MS} are deleted), an audit entry `environment.purge` (kind, input), and the next global
 * desired-state version, so every node's long-poll answers at once with the purge.
 * Returns the purge id.
 */
export async function createPurge(input: {
  environment: PurgeEnvironment;
  actor: { id: number; name: string };
  purge: Purge;
  now?: Date;
}): Promise<{ ok: true; id: number } | { ok: false; refusal: PurgeCreateRefusal }> {
  const now = input.now ?? new Date();
  const result = await writeTransaction(async (tx) => {
    const recent = await tx
      .select({ createdAt: purges.createdAt })
      .from(purges)
      .where(
        and(
          eq(purges.environmentId, input.environment.id),
          gt(purges.createdAt, new Date(now.getTime() - PURGE_RATE_WINDOW_MS)),
          lte(purges.createdAt, now),
        ),
      )
      .orderBy(purges.createdAt);
    if (recent.length >= PURGE_RATE_LIMIT) {
      const free = recent[recent.length - PURGE_RATE_LIMIT].createdAt.getTime() + PURGE_RATE_WINDOW_MS;
      const retryAfterSeconds = Math.max(1, Math.ceil((free - now.getTime()) / 1000));
      return {
        ok: false as const,
        refusal: {
          code: "rate-limited" as const,
          retryAfterSeconds,
          message: `At most ${PURGE_RATE_LIMIT} purges per minute per environment: try again in ${retryAfterSeconds} s.`,
        },
      };
    }
    await tx
      .delete(purges)
      .where(and(eq(purges.environmentId, input.environment.id), lt(purges.createdAt, new Date(now.getTime() - PURGE_KEEP_MS))));
    const row = await one(
      tx
        .insert(purges)
        .values({
          accountId: input.environment.accountId,
          applicationId: input.environment.applicationId,
          environmentId: input.environment.id,
          kind: input.purge.kind,
          input: input.purge.input,
          ban: input.purge.ban,
          createdBy: input.actor.id,
          createdAt: now,
        })
        .returning({ id: purges.id }),
    );
    await recordAudit(tx, {
      accountId: input.environment.accountId,
      actor: input.actor,
      action: "environment.purge",
      targetType: "environment",
      targetId: input.environment.id,
      targetLabel: input.environment.name,
      data: { purgeId: row.id, kind: input.purge.kind, ...(input.purge.input ? { input: input.purge.input } : {}) },
      at: now,
    });
    const version = await bumpEdgeVersion(tx); // notifies every instance on commit (PostgreSQL)
    return { ok: true as const, id: row.id, version };
  });
  if (!result.ok) return result;
  publishEdgeVersion(result.version);
  return { ok: true, id: result.id };
}

/**
 * One purge as a node receives it in the desired state (docs/edge.md "Purge"). `catchUp` marks an entry standing for
 * every purge of the environment the node missed (see {@link purgesForNode}): its ban is the environment's term
 * alone (everything of it) and its id that of the newest missed purge.
 */
export type EdgePurge = { id: number; environmentId: number; key: string; ban: string; createdAt: string; catchUp?: true };

/**
 * The purges node `nodeId` has to apply (docs/edge.md "Purge"), at most {@link MAX_PURGES_PER_STATE}:
 * - first, one **catch-up** per environment with purges the node missed: made after the node's token, older than
 *   {@link PURGE_DELIVERY_MS} (so no longer handed out one by one) and never reported by the node, e.g. while it
 *   could not reach the console for more than an hour. Its ban is everything of that environment (a ban holds for
 *   every object cached before it, so it covers each missed purge whatever it named), its id the newest missed
 *   purge's; once the node reports that id, {@link recordPurgeReports} books every older missed purge of the
 *   environment as applied at the same time;
 * - then the purges of the last {@link PURGE_DELIVERY_MS} the node has not reported yet (applied or refused), oldest
 *   first. Also those of an environment the node does not serve (yet): the ban then matches nothing, and the purge
 *   completes instead of waiting.
 */
export async function purgesForNode(nodeId: number, now: Date = new Date()): Promise<EdgePurge[]> {
  const db = getDb();
  const unreported = notExists(
    db
      .select({ one: sql`1` })
      .from(purgeNodeStates)
      .where(and(eq(purgeNodeStates.purgeId, purges.id), eq(purgeNodeStates.nodeId, nodeId))),
  );
  const windowStart = new Date(now.getTime() - PURGE_DELIVERY_MS);
  const node = await first(db.select({ createdAt: edgeNodes.createdAt }).from(edgeNodes).where(eq(edgeNodes.id, nodeId)));
  const missed = node
    ? await db
        .select({
          environmentId: purges.environmentId,
          id: sql<number>`max(${purges.id})`,
          createdAt: sql<number>`max(${purges.createdAt})`,
        })
        .from(purges)
        .where(and(gt(purges.createdAt, node.createdAt), lte(purges.createdAt, windowStart), unreported))
        .groupBy(purges.environmentId)
        .orderBy(sql`max(${purges.id})`)
        .limit(MAX_PURGES_PER_STATE)
    : [];
  const catchUps = missed.map((m): EdgePurge => ({
    id: m.id,
    environmentId: m.environmentId,
    key: `e${m.environmentId}`,
    ban: purgeEverything(`e${m.environmentId}`).ban,
    createdAt: new Date(m.createdAt).toISOString(),
    catchUp: true,
  }));
  const rows = await db
    .select({ id: purges.id, environmentId: purges.environmentId, ban: purges.ban, createdAt: purges.createdAt })
    .from(purges)
    .where(and(gt(purges.createdAt, windowStart), unreported))
    .orderBy(purges.id)
    .limit(MAX_PURGES_PER_STATE - catchUps.length);
  return [
    ...catchUps,
    ...rows.map((r) => ({
      id: r.id,
      environmentId: r.environmentId,
      key: `e${r.environmentId}`,
      ban: r.ban,
      createdAt: r.createdAt.toISOString(),
    })),
  ];
}

/** A node's report entry for one purge (docs/edge.md "Purge"). */
export type ReportedPurge = { id: number; appliedAt?: string | null; error?: string | null };

/**
 * Records what node `nodeId` reported for purges (inside the report's write transaction, `tx`). Ids of purges that
 * no longer exist (their environment was deleted) are skipped. A purge reported applied that is older than
 * {@link PURGE_DELIVERY_MS} was a catch-up ({@link purgesForNode}: everything of its environment): every purge of
 * that environment with a smaller id, also older than that and not reported by the node, is booked as applied at the
 * same time. (A purge handed out one by one and reported only after the hour passed books nothing wrong this way:
 * any older purge of its environment was either in the same answer, and so applied before it, or beyond the hour
 * then, and so covered by a catch-up applied first.)
 */
export async function recordPurgeReports(
  tx: Pick<ReturnType<typeof getDb>, "select" | "insert">,
  nodeId: number,
  reported: readonly ReportedPurge[],
  now: Date,
): Promise<void> {
  if (reported.length === 0) return;
  const ids = [...new Set(reported.map((r) => r.id))];
  const existing = new Map<number, { environmentId: number; createdAt: Date }>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await tx
      .select({ id: purges.id, environmentId: purges.environmentId, createdAt: purges.createdAt })
      .from(purges)
      .where(inArray(purges.id, ids.slice(i, i + 500)));
    for (const r of rows) existing.set(r.id, r);
  }
  const windowStart = now.getTime() - PURGE_DELIVERY_MS;
  const catchUps: { environmentId: number; id: number; appliedAt: Date }[] = [];
  for (const r of reported) {
    const purge = existing.get(r.id);
    if (!purge) continue;
    const values = {
      appliedAt: r.error ? null : r.appliedAt ? new Date(r.appliedAt) : now,
      error: r.error ? r.error.slice(0, 2000) : null,
      reportedAt: now,
    };
    await tx
      .insert(purgeNodeStates)
      .values({ purgeId: r.id, nodeId, ...values })
      .onConflictDoUpdate({ target: [purgeNodeStates.purgeId, purgeNodeStates.nodeId], set: values });
    if (values.appliedAt && purge.createdAt.getTime() <= windowStart)
      catchUps.push({ environmentId: purge.environmentId, id: r.id, appliedAt: values.appliedAt });
  }
  for (const c of catchUps) {
    const covered = await tx
      .select({ id: purges.id })
      .from(purges)
      .where(
        and(
          eq(purges.environmentId, c.environmentId),
          lt(purges.id, c.id),
          lte(purges.createdAt, new Date(windowStart)),
          notExists(
            tx
              .select({ one: sql`1` })
              .from(purgeNodeStates)
              .where(and(eq(purgeNodeStates.purgeId, purges.id), eq(purgeNodeStates.nodeId, nodeId))),
          ),
        ),
      );
    for (let i = 0; i < covered.length; i += 500) {
      await tx
        .insert(purgeNodeStates)
        .values(covered.slice(i, i + 500).map((p) => ({ purgeId: p.id, nodeId, appliedAt: c.appliedAt, error: null, reportedAt: now })))
        .onConflictDoNothing();
    }
  }
}

/** One node's state of a purge: `applied` (at), `failed` (error), or `pending`. */
export type PurgeNodeState = { node: string; state: "applied" | "failed" | "pending"; appliedAt: Date | null; error: string | null };

/** A purge with its per-node state, as the page and the API show it. */
export type PurgeStatus = {
  id: number;
  kind: PurgeKind;
  input: string;
  createdAt: Date;
  createdBy: string | null;
  /** The active nodes (not revoked, reported within 2 minutes) plus any other node that reported this purge. */
  nodes: PurgeNodeState[];
  /** True when every active node applied it. */
  complete: boolean;
};

/**
 * Adds each purge's per-node state to `rows` (purges, any environments): the active nodes (not revoked, in contact
 * within {@link EDGE_NODE_STALE_MS}) plus any node that reported it, each `applied`, `failed` or `pending`.
 */
export async function purgeStatusesOf<R extends { id: number; kind: PurgeKind; input: string; createdAt: Date; createdBy: string | null }>(
  rows: R[],
  now: Date = new Date(),
): Promise<(R & Pick<PurgeStatus, "nodes" | "complete">)[]> {
  if (rows.length === 0) return [];
  const db = getDb();
  const nodes = await db
    .select({ id: edgeNodes.id, name: edgeNodes.name, lastContactAt: edgeNodes.lastContactAt, revokedAt: edgeNodes.revokedAt })
    .from(edgeNodes);
  const active = nodes.filter((n) => !n.revokedAt && n.lastContactAt && now.getTime() - n.lastContactAt.getTime() <= EDGE_NODE_STALE_MS);
  const states = await db
    .select()
    .from(purgeNodeStates)
    .where(
      inArray(
        purgeNodeStates.purgeId,
        rows.map((r) => r.id),
      ),
    );
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  return rows.map((r) => {
    const mine = new Map(states.filter((s) => s.purgeId === r.id).map((s) => [s.nodeId, s]));
    const ids = [...new Set([...active.map((n) => n.id), ...mine.keys()])].sort((a, b) => a - b);
    const list = ids.map((id): PurgeNodeState => {
      const s = mine.get(id);
      return {
        node: names.get(id) ?? `node ${id}`,
        state: !s ? "pending" : s.error ? "failed" : "applied",
        appliedAt: s?.appliedAt ?? null,
        error: s?.error ?? null,
      };
    });
    const complete = active.every((n) => mine.get(n.id)?.appliedAt);
    return { ...r, nodes: list, complete };
  });
}

/** The purge `id` of environment `environmentId` with its per-node state, or null. */
export async function purgeStatus(environmentId: number, id: number, now: Date = new Date()): Promise<PurgeStatus | null> {
  const rows = await recentRows(environmentId, 1, id);
  return (await purgeStatusesOf(rows, now))[0] ?? null;
}

/** The environment's last `limit` purges (newest first) with their per-node state (the environment page). */
export async function recentPurges(environmentId: number, limit = 10, now: Date = new Date()): Promise<PurgeStatus[]> {
  return purgeStatusesOf(await recentRows(environmentId, limit), now);
}

async function recentRows(environmentId: number, limit: number, id?: number) {
  return getDb()
    .select({
      id: purges.id,
      kind: purges.kind,
      input: purges.input,
      createdAt: purges.createdAt,
      createdBy: sql<string | null>`coalesce(${users.name}, ${users.email})`,
    })
    .from(purges)
    .leftJoin(users, eq(users.id, purges.createdBy))
    .where(and(eq(purges.environmentId, environmentId), id === undefined ? undefined : eq(purges.id, id)))
    .orderBy(desc(purges.id))
    .limit(limit);
}

/**
 * Waits until every active node applied purge `id` (polling every `pollMs`), at most `timeoutMs`; resolves to its
 * status then (check `complete`).
 */
export async function waitForPurge(environmentId: number, id: number, timeoutMs: number, pollMs = 100): Promise<PurgeStatus | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await purgeStatus(environmentId, id);
    if (!status || status.complete || Date.now() >= deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
