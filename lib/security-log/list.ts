import { and, desc, eq, lt, or } from "drizzle-orm";
import { getDb } from "@/db";
import { securityEvents } from "@/db/schema";
import type { SecurityEventRow } from "@/db/types";

export type { SecurityEventRow };

/** Rows per page of the security log. */
export const SECURITY_LOG_PAGE_SIZE = 50;

/** Position after the last row shown: its `createdAt` (epoch ms) and id, as `<ms>.<id>` in the URL. */
export type SecurityLogCursor = { at: number; id: number };

/** Parses a `before` cursor from the URL (`<ms>.<id>`); null for anything else. */
export function parseSecurityLogCursor(raw: string | string[] | undefined | null): SecurityLogCursor | null {
  if (typeof raw !== "string") return null;
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(raw);
  return match ? { at: Number(match[1]), id: Number(match[2]) } : null;
}

/** The URL form of a cursor (`<ms>.<id>`). */
export function formatSecurityLogCursor(row: Pick<SecurityEventRow, "createdAt" | "id">): string {
  return `${row.createdAt.getTime()}.${row.id}`;
}

/**
 * One page of a user's own security log, newest first (keyset pagination on `(created_at, id)`, served by the index
 * `security_events_user_idx`). Only ever reads rows of `userId`. `next` is the cursor of the following page, or null
 * on the last one.
 */
export async function listSecurityEvents(params: { userId: number; before?: SecurityLogCursor | null; limit?: number }): Promise<{
  rows: SecurityEventRow[];
  next: string | null;
}> {
  const limit = Math.min(Math.max(params.limit ?? SECURITY_LOG_PAGE_SIZE, 1), 200);
  const before = params.before;
  const rows = await getDb()
    .select()
    .from(securityEvents)
    .where(
      and(
        eq(securityEvents.userId, params.userId),
        before
          ? or(
              lt(securityEvents.createdAt, new Date(before.at)),
              and(eq(securityEvents.createdAt, new Date(before.at)), lt(securityEvents.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(securityEvents.createdAt), desc(securityEvents.id))
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, next: more ? formatSecurityLogCursor(page[page.length - 1]!) : null };
}
