import { and, eq, isNull } from "drizzle-orm";
import { getDb, affectedRows } from "@/db";
import { domains } from "@/db/schema";
import type { DomainRow } from "@/db/types";
import { txtHoldsToken } from "@/lib/dns/classify";
import { noteEdgeChange } from "./changes";

// The ownership proof of a domain (docs/edge.md "Versions": a hostname is routable when `ownership_required` is false
// or the TXT proof was seen). The go-live checker calls this where it stores a check.

/**
 * Records `ownership_proven_at = now` for `domain` the first time a check sees its token in `TXT
 * _edge-challenge.<hostname>` (`txt`: the values the check read), only when ownership is required and not yet
 * proven; later checks never move it. Call it inside the check's write transaction (it writes through `getDb()`);
 * when it records the proof, the edge is told after that transaction commits (noteEdgeChange starts its reconcile
 * then). Returns whether it recorded the proof now.
 */
export async function recordOwnershipProof(
  domain: Pick<DomainRow, "id" | "environmentId" | "ownershipRequired" | "ownershipProvenAt" | "verificationToken">,
  txt: readonly string[],
  now: Date,
): Promise<boolean> {
  if (!domain.ownershipRequired || domain.ownershipProvenAt || !txtHoldsToken(txt, domain.verificationToken)) return false;
  const result = await getDb()
    .update(domains)
    .set({ ownershipProvenAt: now })
    .where(and(eq(domains.id, domain.id), isNull(domains.ownershipProvenAt)));
  if (affectedRows(result) === 0) return false;
  void noteEdgeChange({ environmentId: domain.environmentId });
  return true;
}
