import "server-only";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { users } from "@/db/schema";

export type UserRow = typeof users.$inferSelect;

/** The user with this id, or undefined. */
export function getUserById(params: { id: number }): UserRow | undefined {
  return getDb().select().from(users).where(eq(users.id, params.id)).get();
}

/** The user with this normalised (trimmed, lower-cased) email, or undefined. */
export function getUserByEmail(params: { email: string }): UserRow | undefined {
  return getDb().select().from(users).where(eq(users.email, params.email)).get();
}

/** Creates a user; returns `{ ok: false }` when the email is already registered (UNIQUE constraint). */
export function createUser(params: {
  email: string;
  name: string | null;
  passwordHash: string;
}): { ok: true; user: UserRow } | { ok: false; reason: "email-taken" } {
  try {
    const user = getDb().insert(users).values(params).returning().get();
    return { ok: true, user };
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: users\.email/.test(error.message)) {
      return { ok: false, reason: "email-taken" };
    }
    throw error;
  }
}

/** Remembers the account the user last opened (the console opens there next time). */
export function setLastAccount(params: { userId: number; accountId: number }): void {
  getDb().update(users).set({ lastAccountId: params.accountId }).where(eq(users.id, params.userId)).run();
}
