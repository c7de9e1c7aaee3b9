import type { Metadata } from "next";
import { parseId, requireAccount } from "@/lib/auth/access";
import { can, roleLabel } from "@/lib/auth/permissions";
import { displayName } from "@/lib/auth/session";
import { grantableRoles, mayActOn } from "@/lib/members/common";
import { invitationState } from "@/lib/invitations/state";
import { listMembers, listPendingInvitations } from "@/lib/members/queries";
import { InviteForm } from "./_components/invite-form";
import { InvitationRow } from "./_components/invitation-row";
import { LeaveForm } from "./_components/leave-form";
import { MemberRow } from "./_components/member-row";

export const metadata: Metadata = { title: "Members" };

const day = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });
const moment = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** The account's members and pending invitations; owners and admins also invite, change roles and remove (docs/product.md §2). */
export default async function MembersPage({ params }: { params: Promise<{ accountId: string }> }) {
  const { accountId } = await params;
  const { account, role, user } = await requireAccount(parseId(accountId));
  const members = await listMembers({ accountId: account.id });
  const pending = await listPendingInvitations({ accountId: account.id });
  const canManage = can(role, "members.manage");
  const grantable = grantableRoles(role).map((r) => ({ value: r, label: roleLabel(r) }));
  const now = new Date();

  return (
    <div className="space-y-8">
      <div>
        <p className="text-sm text-slate-500 dark:text-slate-400">Account (organization)</p>
        <h1 className="text-2xl font-semibold tracking-tight">Members of {account.name}</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          {canManage
            ? "Owners and admins invite people, change roles and remove members. Only owners grant or remove the owner role."
            : `Your role (${roleLabel(role)}) can see the members; owners and admins manage them.`}
        </p>
      </div>

      {canManage ? (
        <section
          aria-labelledby="invite-heading"
          className="rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
        >
          <h2 id="invite-heading" className="text-base font-semibold">
            Invite someone
          </h2>
          <p className="mb-4 mt-1 text-sm text-slate-600 dark:text-slate-400">
            They get an email with a link that works once and expires after a while.
          </p>
          <InviteForm accountId={account.id} roles={grantable} />
        </section>
      ) : null}

      <section
        aria-labelledby="members-heading"
        className="relative overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700"
      >
        <h2 id="members-heading" className="px-4 pt-4 text-base font-semibold">
          Members ({members.length})
        </h2>
        <table className="mt-2 w-full text-left">
          <thead className="border-b border-slate-200 dark:border-slate-700 text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
            <tr>
              <th className="px-4 py-2 font-medium">Name</th>
              <th className="px-4 py-2 font-medium">Role</th>
              <th className="px-4 py-2 font-medium">Joined</th>
              <th className="px-4 py-2 text-right font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {members.map((m) => {
              const isSelf = m.userId === user.id;
              const actsOn = mayActOn(role, m.role);
              return (
                <MemberRow
                  key={m.membershipId}
                  member={{ ...m, roleLabel: roleLabel(m.role), joined: day.format(m.joinedAt) }}
                  isSelf={isSelf}
                  roles={actsOn ? grantable : []}
                  canRemove={actsOn && !isSelf}
                  accountName={account.name}
                />
              );
            })}
          </tbody>
        </table>
      </section>

      {pending.length > 0 ? (
        <section
          aria-labelledby="pending-heading"
          className="rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700"
        >
          <h2 id="pending-heading" className="px-4 pt-4 text-base font-semibold">
            Pending invitations ({pending.length})
          </h2>
          <ul className="mt-2 divide-y divide-slate-100 dark:divide-slate-800" aria-label="Pending invitations">
            {pending.map((inv) => (
              <InvitationRow
                key={inv.email}
                invitation={{
                  id: inv.id,
                  email: inv.email,
                  roleLabel: roleLabel(inv.role),
                  invitedBy: inv.invitedByName,
                  expires: `${moment.format(inv.expiresAt)} UTC`,
                  expired: invitationState(inv, now) === "expired",
                }}
                canManage={mayActOn(role, inv.role)}
              />
            ))}
          </ul>
        </section>
      ) : null}

      <section
        aria-labelledby="leave-heading"
        className="rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
      >
        <h2 id="leave-heading" className="text-base font-semibold">
          Leave this account
        </h2>
        <p className="mb-3 mt-1 text-sm text-slate-600 dark:text-slate-400">
          You are {displayName(user)} ({roleLabel(role)}). An account always keeps at least one owner, so its last owner cannot leave.
        </p>
        <LeaveForm accountId={account.id} accountName={account.name} />
      </section>
    </div>
  );
}
