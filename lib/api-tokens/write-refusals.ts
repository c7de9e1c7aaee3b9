import { and, eq, gt, sql } from "drizzle-orm";
import { getDb, writeTransaction, type Db, first, jsonField } from "@/db";
import { securityEvents } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import type { ApiToken } from "./tokens";
import { log } from "@/lib/log";

// Writes refused to a read-only API token (docs/product.md §3.6), in its owner's security log (`token.write-refused`):
// a script or a leaked token trying to change things shows up there. A client retrying in a loop would flood the
// log, so one row is kept per token and route per minute. The route names what was tried: the REST API operation
// (method and path template, e.g. `POST /account/{accountId}/application`) or `git push <repository path>`.

/** At most one `token.write-refused` row per token and route within this interval. */
export const WRITE_REFUSAL_RESOLUTION_MS = 60_000;

type Reader = Pick<Db, "select">;

/** True when a `token.write-refused` row for this token and route was written after `since`. */
async function loggedSince(db: Reader, userId: number, tokenId: number, route: string, since: Date): Promise<boolean> {
  const row = await first(
    db
      .select({ id: securityEvents.id })
      .from(securityEvents)
      .where(
        and(
          eq(securityEvents.userId, userId),
          eq(securityEvents.kind, "token.write-refused"),
          gt(securityEvents.createdAt, since),
          sql`${jsonField(securityEvents.data, "tokenId")} = ${tokenId}`,
          sql`${jsonField(securityEvents.data, "route")} = ${route}`,
        ),
      ),
  );
  return row !== undefined;
}

/**
 * Records that `token` (read-only) was refused a write on `route`, in its owner's security log with the request's
 * IP and User-Agent, unless the same token and route were recorded within `WRITE_REFUSAL_RESOLUTION_MS` (checked
 * again inside the writing transaction, so concurrent refusals write once). Returns whether a row was written.
 * Never throws: the refusal itself must still be answered (a failure is logged).
 */
export async function recordReadOnlyRefusal(params: {
  token: Pick<ApiToken, "id" | "userId" | "name" | "prefix">;
  route: string;
  request?: RequestInfo;
  now?: Date;
}): Promise<boolean> {
  const { token, route } = params;
  const now = params.now ?? new Date();
  const since = new Date(now.getTime() - WRITE_REFUSAL_RESOLUTION_MS);
  try {
    // A client retrying within the minute (the common case) needs no write, so no write lock either.
    if (await loggedSince(getDb(), token.userId, token.id, route, since)) return false;
    return await writeTransaction(async (tx) => {
      if (await loggedSince(tx, token.userId, token.id, route, since)) return false;
      await recordSecurityEvent(tx, {
        userId: token.userId,
        kind: "token.write-refused",
        ...params.request,
        data: { tokenId: token.id, tokenName: token.name, tokenPrefix: token.prefix, route },
        at: now,
      });
      return true;
    });
  } catch (error) {
    log.error({ tokenId: token.id, route, err: error }, "could not record a write refused to a read-only token");
    return false;
  }
}
