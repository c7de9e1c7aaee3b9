import { and, eq } from "drizzle-orm";
import { writeTransaction, first, isUniqueViolation } from "@/db";
import { domains, environments } from "@/db/schema";
import { NOT_FOUND_MESSAGE as NOT_FOUND } from "@/lib/actions/messages";
import { recordAudit } from "@/lib/audit/record";
import { actorMay, auditActor, type Actor } from "@/lib/repositories/changes";
import { insertDomain } from "./insert";
import type { DomainRow } from "@/db/types";
import { noteEdgeChange } from "@/lib/edge/changes";

// Adding and removing domains of an environment (docs/product.md §3.5). The hostname's platform-wide uniqueness is the
// UNIQUE constraint on domains.hostname: of two accounts racing for one hostname, one insert wins and the other
// gets a message, never an error page.

/** The message for a hostname already served by some environment on the platform. */
export const HOSTNAME_TAKEN = "This hostname is already used on the platform. Remove it there first, or choose another.";

export type ManageDomainResult = { ok: true; domain: DomainRow } | { ok: false; code: "not_found" | "taken"; message: string };

/**
 * Adds `hostname` (already normalised by lib/hostname) to the environment: one transaction re-reads the
 * environment and the actor's "domain.manage" right, inserts the domain with a fresh ownership token and writes the
 * `domain.add` audit row. `ownershipRequired` is true when the hostname already resolved to the edge (see
 * `resolvesToEdge`). A hostname used anywhere on the platform (also by a concurrent add) gives `taken`.
 */
export async function addDomain(params: {
  environment: { id: number; accountId: number; applicationId: number; name: string };
  actor: Actor;
  hostname: { hostname: string; unicode: string; isApex: boolean };
  ownershipRequired: boolean;
}): Promise<ManageDomainResult> {
  const env = params.environment;
  try {
    const added = await writeTransaction(async (tx): Promise<ManageDomainResult> => {
      const row = await first(tx.select().from(environments).where(eq(environments.id, env.id)));
      if (!row || !(await actorMay(row.accountId, params.actor, "domain.manage")))
        return { ok: false, code: "not_found", message: NOT_FOUND };
      const domain = await insertDomain(tx, {
        accountId: row.accountId,
        applicationId: row.applicationId,
        environmentId: row.id,
        hostname: params.hostname,
        ownershipRequired: params.ownershipRequired,
      });
      await recordAudit(tx, {
        accountId: row.accountId,
        actor: auditActor(params.actor),
        action: "domain.add",
        targetType: "domain",
        targetId: domain.id,
        targetLabel: domain.hostname,
        data: { applicationId: row.applicationId, environment: row.name, ownershipRequired: params.ownershipRequired },
      });
      return { ok: true, domain };
    });
    if (added.ok) void noteEdgeChange({ environmentId: added.domain.environmentId }); // docs/edge.md "Versions"
    return added;
  } catch (error) {
    if (isUniqueViolation(error, "domains.hostname")) return { ok: false, code: "taken", message: HOSTNAME_TAKEN };
    throw error;
  }
}

/**
 * Removes a domain from its environment, which frees its hostname platform-wide: one transaction re-reads the
 * domain and the actor's "domain.manage" right, deletes the row (its checks go by ON DELETE CASCADE) and writes the
 * `domain.remove` audit row with the status it had.
 */
export async function removeDomain(params: { domainId: number; actor: Actor }): Promise<ManageDomainResult> {
  const removed = await writeTransaction(async (tx): Promise<ManageDomainResult> => {
    const row = await first(tx.select().from(domains).where(eq(domains.id, params.domainId)));
    if (!row || !(await actorMay(row.accountId, params.actor, "domain.manage")))
      return { ok: false, code: "not_found", message: NOT_FOUND };
    await tx.delete(domains).where(and(eq(domains.id, row.id), eq(domains.accountId, row.accountId)));
    await recordAudit(tx, {
      accountId: row.accountId,
      actor: auditActor(params.actor),
      action: "domain.remove",
      targetType: "domain",
      targetId: row.id,
      targetLabel: row.hostname,
      data: { applicationId: row.applicationId, environmentId: row.environmentId, status: row.status },
    });
    return { ok: true, domain: row };
  });
  if (removed.ok) void noteEdgeChange({ environmentId: removed.domain.environmentId }); // docs/edge.md "Versions"
  return removed;
}
