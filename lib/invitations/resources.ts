import "server-only";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { invitations } from "@/db/schema";
import type { ResourceLoader } from "@/lib/actions";
import { toId } from "@/lib/auth/access";

/**
 * The invitation named by `pick(input)`, for server actions on it (re-send, revoke); its account is read from the
 * row (docs/product.md §2). A malformed id loads nothing, like a missing row.
 */
export function invitationResource<I>(pick: (input: I) => unknown): ResourceLoader<I, { invitationId: number }> {
  return async (input) => {
    const id = toId(pick(input));
    if (id === null) return null;
    const row = await first(
      getDb().select({ id: invitations.id, accountId: invitations.accountId }).from(invitations).where(eq(invitations.id, id)),
    );
    return row ? { accountId: row.accountId, value: { invitationId: row.id } } : null;
  };
}
