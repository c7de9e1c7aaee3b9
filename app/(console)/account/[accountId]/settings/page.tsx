import type { Metadata } from "next";
import { parseId, requireAccount } from "@/lib/auth/access";
import { can, roleLabel } from "@/lib/auth/permissions";
import { listMembers } from "@/lib/members/queries";
import { listApplicationsOfAccount } from "@/lib/applications/queries";
import { listAccountHostnames } from "@/lib/domains/queries";
import { FormMessage } from "@/components/ui/field";
import { DeleteForm, RenameForm, TransferForm } from "./_components/settings-forms";
import { RequireTwoFactorForm } from "./_components/require-two-factor-form";
import { listMembersWithoutTwoFactor } from "@/lib/two-factor/requirement";

export const metadata: Metadata = { title: "Account settings" };

function Section({ title, children, danger }: { title: string; children: React.ReactNode; danger?: boolean }) {
  const slug = title.toLowerCase().replace(/\W+/g, "-");
  return (
    <section
      aria-labelledby={slug}
      className={`rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ${danger ? "ring-red-200 dark:ring-red-900" : "ring-slate-200 dark:ring-slate-700"}`}
    >
      <h2 id={slug} className={`mb-3 text-base font-semibold ${danger ? "text-red-700 dark:text-red-300" : ""}`}>
        {title}
      </h2>
      {children}
    </section>
  );
}

/**
 * Account settings (docs/product.md §2, §3.2): rename (owners, admins), require two-factor authentication for members,
 * transfer ownership and delete (owners). Others read.
 */
export default async function AccountSettingsPage({ params }: { params: Promise<{ accountId: string }> }) {
  const { accountId } = await params;
  const { account, role, user } = await requireAccount(parseId(accountId));
  const canRename = can(role, "account.rename");
  const canTransfer = can(role, "owner.grant");
  const canDelete = can(role, "account.delete");
  const others = canTransfer
    ? (await listMembers({ accountId: account.id })).filter((m) => m.userId !== user.id && m.role !== "owner")
    : [];
  const apps = canDelete ? await listApplicationsOfAccount({ accountId: account.id }) : [];
  // Shown in Unicode, with the stored A-label when it differs (as the domain panels show them).
  const hostnames = canDelete
    ? (await listAccountHostnames({ accountId: account.id })).map((d) =>
        d.hostnameUnicode !== d.hostname ? `${d.hostnameUnicode} (${d.hostname})` : d.hostname,
      )
    : [];
  const withoutTwoFactor = can(role, "account.require-two-factor") ? await listMembersWithoutTwoFactor(account.id) : [];

  return (
    <div className="space-y-6">
      <div>
        <p className="text-sm text-slate-500 dark:text-slate-400">Account (organization)</p>
        <h1 className="text-2xl font-semibold tracking-tight">Settings of {account.name}</h1>
      </div>
      {!canRename ? (
        <FormMessage tone="info">
          Your role in this account ({roleLabel(role)}) can view these settings but not change them. Ask an owner or admin.
        </FormMessage>
      ) : null}

      <Section title="Account name">
        {canRename ? (
          <RenameForm accountId={account.id} name={account.name} />
        ) : (
          <p className="text-sm">
            <span className="text-slate-500 dark:text-slate-400">Account name: </span>
            <span className="font-medium">{account.name}</span>
          </p>
        )}
      </Section>

      <Section title="Two-factor authentication">
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400" data-testid="require-two-factor-status">
          {account.requireTwoFactor
            ? "Required. Members without it cannot open this account (its pages, the API and git) until they turn it on for their login."
            : "Not required: members may log in with their password only."}
        </p>
        {can(role, "account.require-two-factor") && withoutTwoFactor.length > 0 ? (
          <p className="mb-3 text-sm text-slate-700 dark:text-slate-300" data-testid="members-without-two-factor">
            {account.requireTwoFactor
              ? "Locked out until they turn it on"
              : "Members without two-factor authentication (requiring it would lock them out)"}
            : {withoutTwoFactor.join(", ")}.
          </p>
        ) : null}
        {can(role, "account.require-two-factor") ? (
          <RequireTwoFactorForm accountId={account.id} required={account.requireTwoFactor} />
        ) : (
          <p className="text-sm text-slate-500 dark:text-slate-400">Only owners can change this.</p>
        )}
      </Section>

      <Section title="Transfer ownership">
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          The member you choose becomes an owner; you become an admin. An account can have several owners: to add one without stepping down,
          change a member&apos;s role on the Members page.
        </p>
        <TransferForm
          accountId={account.id}
          allowed={canTransfer}
          members={others.map((m) => ({ value: String(m.userId), label: `${m.name?.trim() || m.email} (${roleLabel(m.role)})` }))}
        />
      </Section>

      <Section title="Delete account" danger>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          Deletes {account.name} with everything it owns: its applications and their repositories, environments and domains (their hostnames
          become free for anyone), its members and invitations, and its audit log. This cannot be undone.
        </p>
        {canDelete ? (
          <>
            <p className="mb-3 text-sm text-slate-700 dark:text-slate-300 [overflow-wrap:anywhere]" data-testid="delete-summary">
              {apps.length === 0
                ? "This account has no applications."
                : `${apps.length} application${apps.length === 1 ? "" : "s"} will be deleted${hostnames.length ? `, freeing ${hostnames.join(", ")}` : ""}.`}
            </p>
            <DeleteForm accountId={account.id} name={account.name} />
          </>
        ) : (
          <p className="text-sm text-slate-500 dark:text-slate-400">Only owners can delete the account.</p>
        )}
      </Section>
    </div>
  );
}
