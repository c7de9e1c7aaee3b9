import "server-only";
import { notFound } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import type { UserRow } from "@/lib/users/queries";
import { isOperator } from "./operator";

export { isOperator };

/** For server actions: the signed-in operator of this request, or null (the action then answers "not found"). */
export async function lookupOperator(): Promise<UserRow | null> {
  const user = await getCurrentUser();
  return user && isOperator(user) ? user : null;
}

/**
 * For pages: the signed-in operator of this request. Anyone else — signed out, email not verified, or not in
 * `OPERATOR_EMAILS` — gets `notFound()` (404, never 403: the operator view is not revealed).
 */
export async function requireOperator(): Promise<UserRow> {
  const user = await lookupOperator();
  if (!user) notFound();
  return user;
}
