import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { homePath } from "@/lib/auth/home";
import { listAccountsOfUser } from "@/lib/accounts/queries";

export const dynamic = "force-dynamic";

/**
 * Dispatches: signed out → /login; no account → /account/new; else the last used account, or the first one the user
 * can open (an account requiring two-factor authentication they lack is skipped; lib/auth/home `homePath`).
 */
export default async function Home() {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  redirect(homePath(user, await listAccountsOfUser({ userId: user.id })));
}
