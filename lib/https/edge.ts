import { and, eq, gt, inArray, isNotNull, isNull } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import {
  acmeChallenges,
  domainCertificates,
  domains,
  edgeEnvironmentVersions,
  edgeNodeEnvironments,
  edgeNodes,
  environments,
} from "@/db/schema";
import { publishEdgeVersion } from "@/lib/edge/changes";
import { bumpEdgeVersion } from "@/lib/edge/versions";
import { EDGE_NODE_STALE_MS } from "@/lib/edge/nodes";
import { openPrivateKey } from "./secret-box";
import { log } from "@/lib/log";

// HTTPS in the desired state (docs/edge.md "Desired state": `certificates`, `acmeChallenges`, `redirectHttps`): what
// an environment's nodes receive, the version bump that tells them, and the wait until every active node reports a
// challenge token applied (the report's `acmeChallenges`).

/** One certificate as a node receives it: the chain leaf first and the key, both PEM. */
export type EdgeCertificate = { hostname: string; chain: string; key: string; notAfter: string; serial: string };
/** One HTTP-01 answer: `GET /.well-known/acme-challenge/<token>` on `hostname` answers `keyAuthorization`. */
export type EdgeAcmeChallenge = { hostname: string; token: string; keyAuthorization: string };
/** The HTTPS part of one environment's desired state. */
export type EdgeHttpsState = { certificates: EdgeCertificate[]; acmeChallenges: EdgeAcmeChallenge[]; redirectHttps: boolean };

/** The sealing context of a domain's certificate key. */
export function certificateKeyContext(domainId: number): string {
  return `domain:${domainId}`;
}

/**
 * The HTTPS part of the desired state for each of `environmentIds` at `now` (every id gets an entry): the
 * certificates of its domains that have a chain and a key and have not expired (a certificate whose renewal failed
 * keeps serving until it expires), the challenges that have not expired, and the redirect flag. Keys are opened here
 * and leave the console only in this answer. A key that does not open is left out and logged (by domain, no key).
 */
export async function httpsStateFor(environmentIds: readonly number[], now: Date = new Date()): Promise<Map<number, EdgeHttpsState>> {
  const result = new Map<number, EdgeHttpsState>();
  for (const id of environmentIds) result.set(id, { certificates: [], acmeChallenges: [], redirectHttps: false });
  const ids = [...result.keys()];
  const db = getDb();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const certs = await db
      .select({
        domainId: domainCertificates.domainId,
        environmentId: domains.environmentId,
        hostname: domains.hostname,
        chainPem: domainCertificates.chainPem,
        keySealed: domainCertificates.privateKeySealed,
        notAfter: domainCertificates.notAfter,
        serial: domainCertificates.serial,
      })
      .from(domainCertificates)
      .innerJoin(domains, eq(domains.id, domainCertificates.domainId))
      .where(
        and(
          inArray(domains.environmentId, chunk),
          isNotNull(domainCertificates.chainPem),
          isNotNull(domainCertificates.privateKeySealed),
          gt(domainCertificates.notAfter, now),
        ),
      );
    for (const c of certs) {
      try {
        const key = openPrivateKey(certificateKeyContext(c.domainId), c.keySealed!);
        result.get(c.environmentId)!.certificates.push({
          hostname: c.hostname,
          chain: c.chainPem!,
          key,
          notAfter: c.notAfter!.toISOString(),
          serial: c.serial ?? "",
        });
      } catch (error) {
        log.error(`https: certificate of ${c.hostname} left out of the desired state: ${(error as Error).message}`);
      }
    }
    const challenges = await db
      .select({
        environmentId: acmeChallenges.environmentId,
        hostname: acmeChallenges.hostname,
        token: acmeChallenges.token,
        keyAuthorization: acmeChallenges.keyAuthorization,
      })
      .from(acmeChallenges)
      .where(and(inArray(acmeChallenges.environmentId, chunk), gt(acmeChallenges.expiresAt, now)));
    for (const c of challenges)
      result.get(c.environmentId)!.acmeChallenges.push({ hostname: c.hostname, token: c.token, keyAuthorization: c.keyAuthorization });
    const flags = await db
      .select({ id: environments.id, redirect: environments.redirectHttps })
      .from(environments)
      .where(and(inArray(environments.id, chunk), eq(environments.redirectHttps, true)));
    for (const f of flags) result.get(f.id)!.redirectHttps = true;
  }
  for (const state of result.values()) {
    state.certificates.sort((a, b) => a.hostname.localeCompare(b.hostname));
    state.acmeChallenges.sort((a, b) => a.token.localeCompare(b.token));
  }
  return result;
}

/**
 * Gives environment `environmentId` the next global desired-state version so nodes fetch it again (its HTTPS part
 * changed: a certificate, a challenge, the redirect flag). Only an environment that is served (a version row not
 * removed) is bumped; its fingerprint stays, so a reconcile does not undo it. Wakes the long-polls of this process
 * at once and, on PostgreSQL, those of every other instance when the transaction commits (NOTIFY).
 * Returns the new version, or null when the environment is not served. One write transaction (joins the caller's).
 */
export async function bumpEdgeEnvironment(environmentId: number): Promise<number | null> {
  const version = await writeTransaction(async (tx) => {
    const row = await first(
      tx
        .select({ id: edgeEnvironmentVersions.environmentId })
        .from(edgeEnvironmentVersions)
        .where(and(eq(edgeEnvironmentVersions.environmentId, environmentId), isNull(edgeEnvironmentVersions.removedAt))),
    );
    if (!row) return null;
    const version = await bumpEdgeVersion(tx); // notifies every instance on commit (PostgreSQL)
    await tx
      .update(edgeEnvironmentVersions)
      .set({ version, updatedAt: new Date() })
      .where(eq(edgeEnvironmentVersions.environmentId, environmentId));
    return version;
  });
  if (version !== null) publishEdgeVersion(version);
  return version;
}

/** An active node: not revoked, and reported within the last 2 minutes (docs/edge.md "Node tokens"). */
export type ActiveNode = { id: number; name: string; httpPort: number | null };

/** The active nodes at `now`. */
export async function activeNodes(now: Date = new Date()): Promise<ActiveNode[]> {
  return getDb()
    .select({ id: edgeNodes.id, name: edgeNodes.name, httpPort: edgeNodes.httpPort })
    .from(edgeNodes)
    .where(and(isNull(edgeNodes.revokedAt), gt(edgeNodes.lastContactAt, new Date(now.getTime() - EDGE_NODE_STALE_MS))));
}

/**
 * The active nodes that have not yet reported `token` among the challenges they answer for `environmentId` (the
 * report's `acmeChallenges`, docs/edge.md "Desired state"). Empty when every active node answers it.
 */
export async function nodesMissingToken(environmentId: number, token: string, now: Date = new Date()): Promise<ActiveNode[]> {
  const nodes = await activeNodes(now);
  if (nodes.length === 0) return [];
  const rows = await getDb()
    .select({ nodeId: edgeNodeEnvironments.nodeId, tokens: edgeNodeEnvironments.acmeTokens })
    .from(edgeNodeEnvironments)
    .where(
      and(
        eq(edgeNodeEnvironments.environmentId, environmentId),
        inArray(
          edgeNodeEnvironments.nodeId,
          nodes.map((n) => n.id),
        ),
      ),
    );
  const ready = new Set(rows.filter((r) => Array.isArray(r.tokens) && r.tokens.includes(token)).map((r) => r.nodeId));
  return nodes.filter((n) => !ready.has(n.id));
}

/**
 * Waits until every active node answers `token` for `environmentId` (polling every `pollMs`, default 100), at most
 * `timeoutMs`. Resolves to null when they all do, or to a sentence naming the nodes that did not (or saying that no
 * node is active).
 */
export async function waitForNodes(environmentId: number, token: string, timeoutMs: number, pollMs = 100): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await activeNodes()).length === 0) return "No edge node is active: a node must report before a certificate can be ordered.";
    const missing = await nodesMissingToken(environmentId, token);
    if (missing.length === 0) return null;
    if (Date.now() >= deadline) {
      return `Edge node${missing.length > 1 ? "s" : ""} ${missing.map((n) => n.name).join(", ")} did not apply the challenge within ${Math.round(timeoutMs / 1000)} s.`;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
