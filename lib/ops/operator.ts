import { settings } from "@/lib/config";
import type { UserRow } from "@/lib/users/queries";

/**
 * Whether a user is an operator (docs/product.md §1, §3.5): their email is verified and listed in `OPERATOR_EMAILS`
 * (compared lower-cased). Pass the user row read on this request, never claims from the session token.
 */
export function isOperator(user: Pick<UserRow, "email" | "emailVerifiedAt"> | null | undefined): boolean {
  if (!user || !user.emailVerifiedAt) return false;
  return settings().operatorEmails.includes(user.email.toLowerCase());
}
