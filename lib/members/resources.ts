import "server-only";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { memberships } from "@/db/schema";
import type { ResourceLoader } from "@/lib/actions";
import { toId } from "@/lib/auth/access";

/**
 * The membership named by `pick(input)`, for server actions on a member (change role, remove); its account is read
 * from the row (docs/product.md §2). A malformed id loads nothing, like a missing row.
 */
export function membershipResource<I>(pick: (input: I) => unknown): ResourceLoader<I, { membershipId: number }> {
  return async (input) => {
    const id = toId(pick(input));
    if (id === null) return null;
    const row = await first(
      getDb().select({ id: memberships.id, accountId: memberships.accountId }).from(memberships).where(eq(memberships.id, id)),
    );
    return row ? { accountId: row.accountId, value: { membershipId: row.id } } : null;
  };
}
