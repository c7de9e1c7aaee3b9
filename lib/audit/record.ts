import { auditEvents } from "@/db/schema";
import type { Db } from "@/db";

type Writer = Pick<Db, "insert">;

export type AuditEntry = {
  accountId: number;
  /** The acting user; null for the platform itself (background checks). */
  actor: { id: number; name: string } | null;
  /** Dotted kind, e.g. `member.role`, `invitation.create`, `application.create`, `domain.status`. */
  action: string;
  targetType: string;
  targetId?: number | null;
  targetLabel: string;
  data?: Record<string, unknown>;
  /** When it happened (default: now). */
  at?: Date;
};

/**
 * Appends one row to an account's audit log (docs/product.md §3.2). Call it with the transaction (`tx`) of the mutation it
 * records, so the change and its audit row commit together.
 */
export async function recordAudit(writer: Writer, entry: AuditEntry): Promise<void> {
  await writer.insert(auditEvents).values({
    accountId: entry.accountId,
    actorUserId: entry.actor?.id ?? null,
    actorName: entry.actor?.name ?? "Edge Console",
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    targetLabel: entry.targetLabel,
    data: entry.data ?? null,
    ...(entry.at ? { createdAt: entry.at } : {}),
  });
}
