import { eq } from "drizzle-orm";
import { z } from "zod";
import { writeTransaction, first } from "@/db";
import { users } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";

/** The "Name" field of the profile: trimmed, at most 100 characters; empty clears it (the email is shown instead). */
export const profileNameSchema = z.object({ name: z.string().trim().max(100, "Use at most 100 characters.") });

/**
 * Sets the user's display name (null when empty) and records `profile.update` with the new name. Returns whether
 * anything changed (the same name again writes nothing). Audit rows written earlier keep the name they were written
 * with.
 */
export async function updateProfileName(params: { userId: number; name: string; request: RequestInfo }): Promise<{ changed: boolean }> {
  const name = params.name.trim() || null;
  return writeTransaction(async (tx) => {
    const before = await first(tx.select({ name: users.name }).from(users).where(eq(users.id, params.userId)));
    if (!before || before.name === name) return { changed: false };
    await tx.update(users).set({ name }).where(eq(users.id, params.userId));
    await recordSecurityEvent(tx, { userId: params.userId, kind: "profile.update", ...params.request, data: { name } });
    return { changed: true };
  });
}
