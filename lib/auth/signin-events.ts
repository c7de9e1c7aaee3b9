import { and, eq, gt } from "drizzle-orm";
import { writeTransaction, first } from "@/db";
import { securityEvents } from "@/db/schema";
import { getUserByEmail } from "@/lib/users/queries";
import { recordSecurityEvent } from "@/lib/security-log/record";
import { requestInfo } from "@/lib/security-log/request-info";

type HeaderSource = { get(name: string): string | null };

/** A refused (rate-limited) sign-in is logged at most once per user in this interval, so a flood adds few rows. */
export const RATE_LIMITED_LOG_INTERVAL_MS = 60_000;

/**
 * Records a failed sign-in (wrong password) in the security log of the user it was aimed at (docs/product.md §3.2), with the
 * client IP and User-Agent. Attempts for an address without a user are not logged anywhere.
 */
export async function recordFailedSignIn(params: { userId: number; headers: HeaderSource; reason?: string }): Promise<void> {
  await writeTransaction((tx) =>
    recordSecurityEvent(tx, {
      userId: params.userId,
      kind: "signin.failure",
      ...requestInfo(params.headers),
      ...(params.reason ? { data: { reason: params.reason } } : {}),
    }),
  );
}

/**
 * Records an attempt the login rate limit refused (`signin.rate-limited`) for the user with `email`, when there is
 * one — at most once per `RATE_LIMITED_LOG_INTERVAL_MS` per user, so a password-guessing flood cannot fill the log.
 */
export async function recordRateLimitedSignIn(params: { email: string; headers: HeaderSource; now?: Date }): Promise<void> {
  const user = await getUserByEmail({ email: params.email });
  if (!user) return;
  const now = params.now ?? new Date();
  // The check and the insert in one transaction: concurrent refused attempts still add one row per interval.
  await writeTransaction(async (tx) => {
    const recent = await first(
      tx
        .select({ id: securityEvents.id })
        .from(securityEvents)
        .where(
          and(
            eq(securityEvents.userId, user.id),
            eq(securityEvents.kind, "signin.rate-limited"),
            gt(securityEvents.createdAt, new Date(now.getTime() - RATE_LIMITED_LOG_INTERVAL_MS)),
          ),
        ),
    );
    if (recent) return;
    await recordSecurityEvent(tx, { userId: user.id, kind: "signin.rate-limited", ...requestInfo(params.headers), at: now });
  });
}
