import { securityEvents } from "@/db/schema";
import type { Db } from "@/db";

type Writer = Pick<Db, "insert">;

/**
 * Kinds of the per-user security log (docs/product.md §3.2), dotted: what happened to the user's own login.
 * `token.use` is recorded at most once per token per `LAST_USED_RESOLUTION_MS` (with its last-used time);
 * `token.write-refused` (a write tried with a read-only token) at most once a minute per token and route.
 */
export const SECURITY_EVENT_KINDS = [
  "signin.success",
  "signin.failure",
  "signin.rate-limited",
  "signin.two-factor-failure",
  "signin.recovery-code",
  "signout",
  "password.change",
  "password.reset",
  "email.change-requested",
  "email.change",
  "email.change-reverted",
  "email.verify",
  "two-factor.enable",
  "two-factor.disable",
  "two-factor.recovery-codes",
  "token.create",
  "token.revoke",
  "token.use",
  "token.write-refused",
  "session.revoke",
  "session.revoke-all",
  "profile.update",
  "reauth.failure",
] as const;
export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number];

export type SecurityEventEntry = {
  userId: number;
  kind: SecurityEventKind;
  /** Client address and User-Agent of the request that caused it, when there was one. */
  ip?: string | null;
  userAgent?: string | null;
  /** Small JSON details (never secrets): e.g. `{ tokenName }`, `{ from, to }` for an email change. */
  data?: Record<string, unknown>;
  /** When it happened (default: now). */
  at?: Date;
};

/**
 * Appends one row to a user's security log (docs/product.md §3.2). Pass the transaction (`tx`) of the change it records so
 * both commit together; events without one (sign-ins, failed sign-ins) open a `writeTransaction` of their own.
 */
export async function recordSecurityEvent(writer: Writer, entry: SecurityEventEntry): Promise<void> {
  await writer.insert(securityEvents).values({
    userId: entry.userId,
    kind: entry.kind,
    ip: entry.ip ?? null,
    userAgent: entry.userAgent?.slice(0, 512) ?? null,
    data: entry.data ?? null,
    ...(entry.at ? { createdAt: entry.at } : {}),
  });
}
