import type { Metadata } from "next";
import Link from "next/link";
import { parseId, requireAccount } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { blocksUser } from "@/lib/two-factor/requirement";
import { listAccountsOfUser } from "@/lib/accounts/queries";
import { DEFAULT_STACK_ID, STACKS } from "@/lib/stacks/catalog";
import { ApplicationWizard } from "./application-wizard";

export const metadata: Metadata = { title: "New application" };

/** The "Create application" wizard, opened from an account the user belongs to. */
export default async function NewApplicationPage({ params }: { params: Promise<{ accountId: string }> }) {
  const { accountId } = await params;
  const { user, account } = await requireAccount(parseId(accountId));
  // Accounts that require two-factor authentication the user lacks are left out: nothing can be created there.
  const accounts = (await listAccountsOfUser({ userId: user.id }))
    .filter((a) => !blocksUser(a, user))
    .map((a) => ({
      id: a.id,
      name: a.name,
      role: a.role,
      canCreate: can(a.role, "application.create"),
    }));
  const stacks = STACKS.map((s) => ({
    id: s.id,
    label: s.label,
    category: s.category,
    description: s.description,
    chain: s.proxychain.map((m) => m.image),
  }));
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/account/${account.id}`} className="text-sm text-slate-500 dark:text-slate-400 hover:underline">
          ← {account.name}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">New application</h1>
      </div>
      <ApplicationWizard accounts={accounts} defaultAccountId={account.id} stacks={stacks} defaultStackId={DEFAULT_STACK_ID} />
    </div>
  );
}
