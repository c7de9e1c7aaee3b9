import type { Metadata } from "next";
import Link from "next/link";
import { requireUser, displayName } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Settings" };

/** The user's own settings (SPEC §3.1); for now an index of what exists. */
export default async function SettingsPage() {
  const user = await requireUser("/settings");
  return (
    <div className="max-w-2xl space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
        <p className="text-sm text-slate-600">
          Your own login: {displayName(user)} ({user.email}).
        </p>
      </div>
      <ul className="divide-y divide-slate-200 rounded-xl bg-white ring-1 ring-slate-200">
        <li className="px-4 py-3">
          <Link href="/settings/tokens" className="font-medium text-indigo-700 hover:underline">
            API tokens
          </Link>
          <p className="text-sm text-slate-600">Personal tokens for git (clone and push) and the REST API.</p>
        </li>
      </ul>
    </div>
  );
}
