import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { listAccountsOfUser } from "@/db/queries/accounts";

export const dynamic = "force-dynamic";

/** Dispatches: signed out → /login; no account → /account/new; else the last used (or first) account. */
export default async function Home() {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  const accounts = listAccountsOfUser({ userId: user.id });
  if (accounts.length === 0) redirect("/account/new");
  const last = accounts.find((a) => a.id === user.lastAccountId) ?? accounts[0];
  redirect(`/account/${last.id}`);
}
