import "server-only";
import { cache } from "react";
import { redirect } from "next/navigation";
import { auth } from "./auth";
import { getUserById, type UserRow } from "@/db/queries/users";

/**
 * The signed-in user of this request, read from the database (never trusted from the token alone), or null
 * when signed out, deleted, or signed out everywhere (the token's session version is older than the user's).
 */
export const getCurrentUser = cache(async (): Promise<UserRow | null> => {
  const session = await auth();
  const id = Number(session?.user?.id);
  if (!session || !Number.isInteger(id) || id <= 0) return null;
  const user = getUserById({ id });
  if (!user) return null;
  const version = (session as unknown as { sessionVersion?: number }).sessionVersion ?? 0;
  if (version !== user.sessionVersion) return null;
  return user;
});

/** The signed-in user, or a redirect to `/login` that comes back to `returnTo` afterwards. */
export async function requireUser(returnTo?: string): Promise<UserRow> {
  const user = await getCurrentUser();
  if (!user) redirect(returnTo ? `/login?callbackUrl=${encodeURIComponent(returnTo)}` : "/login");
  return user;
}

/** The name shown for a user in the console and the audit log. */
export function displayName(user: Pick<UserRow, "name" | "email">): string {
  return user.name?.trim() || user.email;
}
