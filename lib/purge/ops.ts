import { desc, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { accounts, applications, environments, purges, users } from "@/db/schema";
import type { PurgeKind } from "./expression";
import { purgeStatusesOf, type PurgeNodeState } from "./store";

// Purges across every account for operators (/ops/purges; docs/edge.md "Purge"): what was purged where, by whom, and
// per node whether it took effect.

/** One purge as /ops/purges lists it. */
export type OpsPurge = {
  id: number;
  createdAt: Date;
  accountId: number;
  account: string;
  applicationId: number;
  application: string;
  environment: string;
  kind: PurgeKind;
  input: string;
  /** Name or email of whoever purged; null when that user was deleted since. */
  createdBy: string | null;
  nodes: PurgeNodeState[];
  complete: boolean;
};

/** Most purges /ops/purges shows. */
export const OPS_PURGES_LIMIT = 100;

/**
 * The newest `limit` purges of every account (newest first, at most {@link OPS_PURGES_LIMIT}), with their account,
 * application and environment names, who made them, and each node's state (lib/purge/store.ts `purgeStatusesOf`).
 * No access check: the caller is an operator's page.
 */
export async function listRecentPurges(limit = 50, now: Date = new Date()): Promise<OpsPurge[]> {
  const rows = await getDb()
    .select({
      id: purges.id,
      createdAt: purges.createdAt,
      accountId: purges.accountId,
      account: accounts.name,
      applicationId: purges.applicationId,
      application: applications.name,
      environment: environments.name,
      kind: purges.kind,
      input: purges.input,
      createdBy: sql<string | null>`coalesce(${users.name}, ${users.email})`,
    })
    .from(purges)
    .innerJoin(accounts, eq(accounts.id, purges.accountId))
    .innerJoin(applications, eq(applications.id, purges.applicationId))
    .innerJoin(environments, eq(environments.id, purges.environmentId))
    .leftJoin(users, eq(users.id, purges.createdBy))
    .orderBy(desc(purges.id))
    .limit(Math.max(1, Math.min(OPS_PURGES_LIMIT, Math.floor(limit))));
  return purgeStatusesOf(rows, now);
}
