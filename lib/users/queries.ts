import "server-only";
import { eq } from "drizzle-orm";
import { getDb, writeTransaction, first, one, isUniqueViolation } from "@/db";
import { users } from "@/db/schema";
import type { UserRow } from "@/db/types";

export type { UserRow };

/** The user with this id, or undefined. */
export async function getUserById(params: { id: number }): Promise<UserRow | undefined> {
  return first(getDb().select().from(users).where(eq(users.id, params.id)));
}

/** The user with this normalised (trimmed, lower-cased) email, or undefined. */
export async function getUserByEmail(params: { email: string }): Promise<UserRow | undefined> {
  return first(getDb().select().from(users).where(eq(users.email, params.email)));
}

/** Creates a user; returns `{ ok: false }` when the email is already registered (UNIQUE constraint). */
export async function createUser(params: {
  email: string;
  name: string | null;
  passwordHash: string;
}): Promise<{ ok: true; user: UserRow } | { ok: false; reason: "email-taken" }> {
  try {
    const user = await writeTransaction((tx) => one(tx.insert(users).values(params).returning()));
    return { ok: true, user };
  } catch (error) {
    if (isUniqueViolation(error, "users.email")) {
      return { ok: false, reason: "email-taken" };
    }
    throw error;
  }
}

/** Remembers the account the user last opened (the console opens there next time). */
export async function setLastAccount(params: { userId: number; accountId: number }): Promise<void> {
  await writeTransaction(async (tx) => {
    await tx.update(users).set({ lastAccountId: params.accountId }).where(eq(users.id, params.userId));
  });
}
