import { eq } from "drizzle-orm";
import { writeTransaction, first } from "@/db";
import { environments } from "@/db/schema";
import { newLinkToken } from "@/lib/tokens";

// The X-Edge-Secret of an environment (docs/product.md §8 "Response headers"): 32 random bytes, base64url, made once.

/**
 * The environment's secret, made in a write transaction when missing (the caller's transaction when inside one).
 * `created` says whether this call made it. Throws when the environment does not exist.
 */
export async function ensureEdgeSecret(environmentId: number): Promise<{ secret: string; created: boolean }> {
  return writeTransaction(async (tx) => {
    const row = await first(tx.select({ secret: environments.edgeSecret }).from(environments).where(eq(environments.id, environmentId)));
    if (!row) throw new Error(`Environment ${environmentId} does not exist.`);
    if (row.secret) return { secret: row.secret, created: false };
    const secret = newLinkToken();
    await tx.update(environments).set({ edgeSecret: secret }).where(eq(environments.id, environmentId));
    return { secret, created: true };
  });
}
