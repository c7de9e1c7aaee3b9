import { parseId, requireAccount } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { AccountTabs } from "@/components/account-tabs";
import { setLastAccount } from "@/lib/users/queries";

/**
 * Frame of an account's pages: the tabs a member may open. Membership is checked here and again by every page
 * and action (a layout is not an authorization boundary on its own).
 */
export default async function AccountLayout({ children, params }: { children: React.ReactNode; params: Promise<{ accountId: string }> }) {
  const { accountId } = await params;
  const { account, role, user } = await requireAccount(parseId(accountId));
  // The console opens on the account used last (the switcher's memory), whichever of its pages was opened.
  if (user.lastAccountId !== account.id) await setLastAccount({ userId: user.id, accountId: account.id });
  const base = `/account/${account.id}`;
  const tabs = [
    { href: base, label: "Applications", exact: true },
    { href: `${base}/members`, label: "Members" },
    ...(can(role, "audit.read") ? [{ href: `${base}/audit`, label: "Audit log" }] : []),
    { href: `${base}/settings`, label: "Settings" },
  ];
  return (
    <div className="space-y-6">
      <AccountTabs tabs={tabs} />
      {children}
    </div>
  );
}
