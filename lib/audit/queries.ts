import "server-only";
import { and, desc, eq, like, lt, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { auditEvents } from "@/db/schema";
import type { AuditRow } from "@/db/types";

export type { AuditRow };

/**
 * One page of an account's audit log, newest first, keyset-paginated by id (`before` = the last id of the previous
 * page). Filters: `actor` (a user id, or 0 for the platform itself) and `kind` (an action or its area, e.g.
 * `member` matches `member.role`). Returns `limit` rows and the id to continue from (null at the end).
 */
export async function listAuditEvents(params: {
  accountId: number;
  actor?: number | null;
  kind?: string | null;
  before?: number | null;
  limit?: number;
}): Promise<{
  rows: AuditRow[];
  nextBefore: number | null;
}> {
  const limit = params.limit ?? 50;
  const conditions = [eq(auditEvents.accountId, params.accountId)];
  if (params.actor === 0) conditions.push(sql`${auditEvents.actorUserId} is null`);
  else if (params.actor) conditions.push(eq(auditEvents.actorUserId, params.actor));
  if (params.kind)
    conditions.push(params.kind.includes(".") ? eq(auditEvents.action, params.kind) : like(auditEvents.action, `${params.kind}.%`));
  if (params.before) conditions.push(lt(auditEvents.id, params.before));
  const rows = await getDb()
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextBefore: more ? page[page.length - 1].id : null };
}

/** The actors and action kinds present in an account's log, for the filter menus. */
export async function listAuditFacets(params: {
  accountId: number;
}): Promise<{ actors: { id: number | null; name: string }[]; kinds: string[] }> {
  const db = getDb();
  const actors = await db
    .selectDistinct({ id: auditEvents.actorUserId, name: auditEvents.actorName })
    .from(auditEvents)
    .where(eq(auditEvents.accountId, params.accountId));
  const kinds = (
    await db
      .selectDistinct({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.accountId, params.accountId))
      .orderBy(auditEvents.action)
  ).map((r) => r.action);
  const seen = new Map<string, { id: number | null; name: string }>();
  for (const a of actors) seen.set(String(a.id), a);
  return { actors: [...seen.values()].sort((a, b) => a.name.localeCompare(b.name)), kinds };
}
