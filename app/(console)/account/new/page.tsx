import type { Metadata } from "next";
import { requireUser } from "@/lib/auth/session";
import { listAccountsOfUser } from "@/lib/accounts/queries";
import { NewAccountForm } from "./new-account-form";

export const metadata: Metadata = { title: "New account" };

export default async function NewAccountPage() {
  const user = await requireUser("/account/new");
  const first = (await listAccountsOfUser({ userId: user.id })).length === 0;
  return (
    <div className="mx-auto max-w-lg rounded-xl bg-white dark:bg-slate-900 p-6 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700">
      <h1 className="text-xl font-semibold">{first ? "Create your first account (organization)" : "New account (organization)"}</h1>
      <p className="mb-5 mt-1 text-sm text-slate-600 dark:text-slate-400">
        An account is the organization that owns your applications; you can invite teammates to it later.
      </p>
      <NewAccountForm />
    </div>
  );
}
