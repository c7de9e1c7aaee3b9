import crypto from "node:crypto";
import { and, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { dialect, execute, getDb, writeTransaction, type Tx, first, one } from "@/db";
import { applications, edgeEnvironmentVersions, edgeStateVersion, environments } from "@/db/schema";
import { settings } from "@/lib/config";
import { resolveBranch } from "@/lib/git/cache";
import { repositoryPath } from "@/lib/repositories/paths";
import { notifyOnCommit } from "@/lib/cluster/notify";
import { EDGE_VERSION_CHANNEL, edgeVersionEvents } from "./events";
import { ensureEdgeSecret } from "./secret";
import { routableHostnames } from "./routable";
import { log } from "@/lib/log";

// The desired state's versions (docs/edge.md "Versions"): one global sequence (edge_state_version) and, per
// environment, the version at which its fingerprint last changed (edge_environment_versions).

/** Which environments a reconcile looks at: one environment, one application, one account, or (empty) all. */
export type ReconcileScope = { environmentId?: number; applicationId?: number; accountId?: number };

/** What a reconcile changed: the global version after it, and the environments it gave that version. */
export type ReconcileResult = { version: number; changed: number[]; removed: number[] };

/** The settings a node receives with the state (docs/edge.md "Desired state": `settings`); part of every fingerprint. */
export type EdgeSettings = { allowCodeModules: boolean; allowPrivateOrigins: boolean; edgeAddresses: string[]; cnameSuffix: string };

/** The console's edge settings now, from lib/config. */
export function edgeSettings(): EdgeSettings {
  const s = settings();
  return {
    allowCodeModules: s.allowCodeModules,
    allowPrivateOrigins: s.allowPrivateOrigins,
    edgeAddresses: [...s.edgeIpv4, ...s.edgeIpv6],
    cnameSuffix: s.edgeCnameSuffix,
  };
}

/** The fingerprint of a removed (or not routable) environment. */
export const REMOVED_FINGERPRINT = "removed";

/**
 * SHA-256 (hex) over the branch head commit, the sorted routable hostnames, the secret and the settings
 * (docs/edge.md "Versions").
 */
export function environmentFingerprint(input: {
  commit: string;
  hostnames: readonly string[];
  secret: string;
  settings: EdgeSettings;
}): string {
  const body = JSON.stringify([input.commit, [...input.hostnames].sort(), input.secret, input.settings]);
  return crypto.createHash("sha256").update(body, "utf8").digest("hex");
}

/**
 * Reconciles run one after another in a process (the queue is on globalThis, shared by every bundle that loads this
 * module), so a slower one never writes an older view over a newer one.
 */
const QUEUE_KEY = Symbol.for("edge-console.edge-reconcile-queue");
const queueHolder = globalThis as unknown as Record<symbol, Promise<unknown> | undefined>;

/**
 * Recomputes the fingerprints of the environments in `scope` (all when empty) and gives each changed one the next
 * global version; an environment that was deleted, has no branch, or lost its last routable hostname keeps its row
 * with `removed_at` set, at the new version (docs/edge.md "Versions"). Rows of environments that no longer exist are
 * marked removed by every reconcile, whatever its scope. Makes a missing X-Edge-Secret. Reads branch heads from the
 * repositories' ref files (no git process per environment) outside the writer lock, then compares and writes in one
 * transaction; wakes the long-polls waiting in this process when the version moved. Call it outside any
 * transaction (noteEdgeChange does). Throws on database errors.
 */
export function reconcileEdgeState(scope: ReconcileScope = {}): Promise<ReconcileResult> {
  const run = (queueHolder[QUEUE_KEY] ?? Promise.resolve()).then(() => reconcileNow(scope));
  queueHolder[QUEUE_KEY] = run.catch(() => undefined);
  return run;
}

type Candidate = { environmentId: number; commit: string | null; fingerprint: string };

/** Arbitrary 64-bit key of the advisory lock PostgreSQL reconciles run under ("edge-console edge reconcile"). */
const EDGE_RECONCILE_LOCK = "7249031655120413190";

async function reconcileNow(scope: ReconcileScope): Promise<ReconcileResult> {
  let result: { version: number; changed: number[]; removed: number[]; moved: boolean };
  if (dialect() === "postgres") {
    // Reconciles of several processes at once (instances, workers): each reads the state and writes the versions
    // under one cluster-wide lock, READ COMMITTED, so each sees every change committed before its turn and a slower
    // one never writes an older view over a newer one; the one-row version counter is bumped by one writer at a time
    // (SERIALIZABLE reconciles aborted each other on it: "could not serialize access due to concurrent update").
    // Secrets first, in a transaction of their own, so the locked one below does not hold environment rows while it
    // reads (an environment made in between gets its secret inside it).
    await makeMissingSecrets(await environmentsIn(scope, { withoutSecret: true }));
    result = await writeTransaction(
      async (tx) => {
        await execute(sql`select pg_advisory_xact_lock(${EDGE_RECONCILE_LOCK})`);
        return compareAndWrite(tx, await candidatesFor(scope));
      },
      { isolation: "read committed" },
    );
  } else {
    // A barrier: an empty write transaction starts only after any transaction that was open when noteEdgeChange was
    // called has committed (the writer lock), so the reads below see that change. They run on the reader, outside
    // the lock; only the comparison and the writes hold it.
    await writeTransaction(() => undefined);
    const candidates = await candidatesFor(scope);
    result = await writeTransaction((tx) => compareAndWrite(tx, candidates));
  }
  if (result.moved) edgeVersionEvents().emit("version", result.version); // wakes this process's long-polls
  return { version: result.version, changed: result.changed, removed: result.removed };
}

/** The environments of `scope` (only those without a secret yet with `withoutSecret`), with secret and repository folder. */
async function environmentsIn(scope: ReconcileScope, options: { withoutSecret?: boolean } = {}) {
  const conditions: SQL[] = [];
  if (options.withoutSecret) conditions.push(isNull(environments.edgeSecret));
  if (scope.environmentId !== undefined) conditions.push(eq(environments.id, scope.environmentId));
  if (scope.applicationId !== undefined) conditions.push(eq(environments.applicationId, scope.applicationId));
  if (scope.accountId !== undefined) conditions.push(eq(environments.accountId, scope.accountId));
  const envs = await getDb()
    .select({
      id: environments.id,
      name: environments.name,
      secret: environments.edgeSecret,
      repoDir: applications.repoDir,
    })
    .from(environments)
    .innerJoin(applications, eq(applications.id, environments.applicationId))
    .where(conditions.length ? and(...conditions) : undefined);
  return envs;
}

/** Makes the missing X-Edge-Secrets of `envs` (one short transaction) and sets them on the objects. */
async function makeMissingSecrets(envs: { id: number; secret: string | null }[]): Promise<void> {
  const missing = envs.filter((e) => !e.secret);
  if (missing.length === 0) return;
  await writeTransaction(async () => {
    // An environment deleted since the read above has no secret to make; its row is marked removed when the orphans are reconciled.
    for (const env of missing) env.secret = (await ensureEdgeSecret(env.id).catch(() => null))?.secret ?? env.secret;
  });
}

/** The fingerprint every environment of `scope` should have now (making missing X-Edge-Secrets first). */
async function candidatesFor(scope: ReconcileScope): Promise<Candidate[]> {
  const envs = await environmentsIn(scope);
  // The secret is part of the fingerprint.
  await makeMissingSecrets(envs);

  const hostnames = await routableHostnames(envs.map((e) => e.id));
  const currentSettings = edgeSettings();
  const candidates: Candidate[] = [];
  for (const env of envs) {
    let commit: string | null = null;
    try {
      commit = await resolveBranch(repositoryPath(env), env.name);
    } catch (error) {
      // A missing or broken repository serves nothing; the next reconcile looks again.
      log.error({ err: error }, `edge: cannot read the head of ${env.name} (environment ${env.id})`);
    }
    const names = hostnames.get(env.id) ?? [];
    const routable = commit !== null && names.length > 0;
    candidates.push({
      environmentId: env.id,
      commit: routable ? commit : null,
      fingerprint: routable
        ? environmentFingerprint({ commit: commit!, hostnames: names, secret: env.secret!, settings: currentSettings })
        : REMOVED_FINGERPRINT,
    });
  }
  return candidates;
}

/** Compares `candidates` with the stored versions and writes the changed ones at the next global version, in `tx`. */
async function compareAndWrite(
  tx: Tx,
  candidates: readonly Candidate[],
): Promise<{ version: number; changed: number[]; removed: number[]; moved: boolean }> {
  const existing = new Map<number, { fingerprint: string; removed: boolean }>();
  const ids = candidates.map((c) => c.environmentId);
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await tx
      .select({
        id: edgeEnvironmentVersions.environmentId,
        fingerprint: edgeEnvironmentVersions.fingerprint,
        removedAt: edgeEnvironmentVersions.removedAt,
      })
      .from(edgeEnvironmentVersions)
      .where(inArray(edgeEnvironmentVersions.environmentId, ids.slice(i, i + 500)));
    for (const row of rows) existing.set(row.id, { fingerprint: row.fingerprint, removed: row.removedAt !== null });
  }
  // Rows whose environment is gone (deleted environment or application), not yet marked removed.
  const orphans = await tx
    .select({ id: edgeEnvironmentVersions.environmentId })
    .from(edgeEnvironmentVersions)
    .where(
      and(
        isNull(edgeEnvironmentVersions.removedAt),
        sql`not exists (select 1 from ${environments} where ${environments.id} = ${edgeEnvironmentVersions.environmentId})`,
      ),
    );

  const upserts: Candidate[] = [];
  for (const c of candidates) {
    const before = existing.get(c.environmentId);
    if (c.fingerprint === REMOVED_FINGERPRINT) {
      if (before && !before.removed) upserts.push(c); // was served: now removed
      continue; // never served, or already removed: nothing to tell
    }
    if (!before || before.removed || before.fingerprint !== c.fingerprint) upserts.push(c);
  }
  const orphanIds = orphans.map((o) => o.id).filter((id) => !upserts.some((u) => u.environmentId === id));
  if (upserts.length === 0 && orphanIds.length === 0) {
    const row = await first(tx.select({ version: edgeStateVersion.version }).from(edgeStateVersion).where(eq(edgeStateVersion.id, 1)));
    return { version: row?.version ?? 0, changed: [], removed: [], moved: false };
  }
  const version = await bumpEdgeVersion(tx);
  const now = new Date();
  const changed: number[] = [];
  const removed: number[] = [];
  for (const c of upserts) {
    const isRemoved = c.fingerprint === REMOVED_FINGERPRINT;
    (isRemoved ? removed : changed).push(c.environmentId);
    const values = { version, fingerprint: c.fingerprint, commit: c.commit, removedAt: isRemoved ? now : null, updatedAt: now };
    await tx
      .insert(edgeEnvironmentVersions)
      .values({ environmentId: c.environmentId, ...values })
      .onConflictDoUpdate({ target: edgeEnvironmentVersions.environmentId, set: values });
  }
  for (const id of orphanIds) {
    removed.push(id);
    await tx
      .update(edgeEnvironmentVersions)
      .set({ version, fingerprint: REMOVED_FINGERPRINT, commit: null, removedAt: now, updatedAt: now })
      .where(eq(edgeEnvironmentVersions.environmentId, id));
  }
  return { version, changed, removed, moved: true };
}

/**
 * Inside the caller's write transaction: the next global desired-state version (edge_state_version, row 1), for a
 * change every node must hear about (docs/edge.md "Versions"). On PostgreSQL it also notifies EDGE_VERSION_CHANNEL
 * with the new version, which wakes the long-polls of every instance when the transaction commits. The caller wakes
 * this process's long-polls after the commit (`edgeVersionEvents().emit("version", version)`, or
 * `publishEdgeVersion`); on SQLite other processes see the row at their next re-read (within a second). Throws on
 * database errors (the transaction fails).
 */
export async function bumpEdgeVersion(tx: Tx): Promise<number> {
  const bumped = await one(
    tx
      .insert(edgeStateVersion)
      .values({ id: 1, version: 1 })
      .onConflictDoUpdate({ target: edgeStateVersion.id, set: { version: sql`${edgeStateVersion.version} + 1` } })
      .returning({ version: edgeStateVersion.version }),
  );
  await notifyOnCommit(tx, EDGE_VERSION_CHANNEL, String(bumped.version));
  return bumped.version;
}
