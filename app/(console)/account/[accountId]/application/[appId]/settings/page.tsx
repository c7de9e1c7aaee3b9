import type { Metadata } from "next";
import Link from "next/link";
import { FormMessage } from "@/components/ui/field";
import { parseId, requireApplication } from "@/lib/auth/access";
import { can, roleLabel } from "@/lib/auth/permissions";
import { listDomainsOfApplication } from "@/lib/applications/queries";
import { DeleteApplicationForm, RenameApplicationForm } from "./_components/application-settings-forms";

export const metadata: Metadata = { title: "Application settings" };

/** Application settings (docs/product.md §3.3): rename its display name, delete it (owners and admins). Others read. */
export default async function ApplicationSettingsPage({ params }: { params: Promise<{ accountId: string; appId: string }> }) {
  const { accountId, appId } = await params;
  const { application, role, account } = await requireApplication(parseId(accountId), parseId(appId));
  const canRename = can(role, "application.rename");
  const canDelete = can(role, "application.delete");
  const hostnames = (await listDomainsOfApplication({ applicationId: application.id })).map((d) => d.hostnameUnicode);
  const base = `/account/${account.id}/application/${application.id}`;
  return (
    <div className="space-y-6">
      <div>
        <Link href={base} className="text-sm text-slate-500 dark:text-slate-400 hover:underline">
          ← {application.name}
        </Link>
        <h1 className="text-2xl font-semibold tracking-tight">Settings of {application.name}</h1>
      </div>
      {!canRename && !canDelete ? (
        <FormMessage tone="info">
          Your role in this account ({roleLabel(role)}) can view these settings but not change them. Ask an owner or admin.
        </FormMessage>
      ) : null}
      <section
        aria-labelledby="name-heading"
        className="rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
      >
        <h2 id="name-heading" className="mb-3 text-base font-semibold">
          Display name
        </h2>
        {canRename ? (
          <RenameApplicationForm applicationId={application.id} name={application.name} />
        ) : (
          <p className="text-sm font-medium">{application.name}</p>
        )}
        <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
          The name is shown in the console only; the clone URL and the hostnames do not change.
        </p>
      </section>
      {canDelete ? (
        <section
          aria-labelledby="delete-heading"
          className="rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-red-200 dark:ring-red-900"
        >
          <h2 id="delete-heading" className="mb-3 text-base font-semibold text-red-700 dark:text-red-300">
            Delete application
          </h2>
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
            Deletes the application with every environment and domain. Its hostnames become free
            {hostnames.length ? ` (${hostnames.join(", ")})` : ""}. The repository is archived on the server and no longer served.
          </p>
          <DeleteApplicationForm applicationId={application.id} name={application.name} />
        </section>
      ) : null}
    </div>
  );
}
