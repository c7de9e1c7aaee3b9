import { desc, lt } from "drizzle-orm";
import { getDb, writeTransaction } from "@/db";
import { operatorEvents } from "@/db/schema";
import type { OperatorEventRow } from "@/db/types";

/** Kinds of operator actions (docs/product.md §3.2 "operator actions are recorded"). */
export type OperatorAction = "ops.verify" | "edge.node.add" | "edge.node.revoke" | "edge.node.drain" | "edge.node.undrain";

/** Appends one row to the operator log: who (`operator` id and email, kept if the user goes), what, details, when. */
export async function recordOperatorEvent(entry: {
  operator: { id: number; email: string };
  action: OperatorAction;
  data: unknown;
  at?: Date;
}): Promise<void> {
  await writeTransaction((tx) =>
    tx.insert(operatorEvents).values({
      operatorUserId: entry.operator.id,
      operatorEmail: entry.operator.email,
      action: entry.action,
      data: entry.data,
      ...(entry.at ? { createdAt: entry.at } : {}),
    }),
  );
}

export type { OperatorEventRow };

/** A page of the operator log, newest first: `limit` rows (default 50) with ids below `beforeId` (keyset). */
export async function listOperatorEvents(params: { limit?: number; beforeId?: number | null } = {}): Promise<OperatorEventRow[]> {
  return getDb()
    .select()
    .from(operatorEvents)
    .where(params.beforeId ? lt(operatorEvents.id, params.beforeId) : undefined)
    .orderBy(desc(operatorEvents.id))
    .limit(params.limit ?? 50);
}
