import type { Metadata } from "next";
import Link from "next/link";
import { listApiTokens, tokenState, type ApiToken } from "@/lib/api-tokens";
import { requireUser } from "@/lib/auth/session";
import { CreateTokenForm } from "./_components/create-token-form";
import { RevokeTokenButton } from "./_components/revoke-token-button";
import { formatUtc } from "@/components/ui/format";

export const metadata: Metadata = { title: "API tokens" };

const when = (d: Date | null, none = "—") => (d ? formatUtc(d, { seconds: false }) : none);

const STATE_LABEL = { active: "Active", expired: "Expired", revoked: "Revoked" } as const;

/** The signed-in user's personal API tokens (docs/product.md §3.6): create (value shown once), list, revoke. */
export default async function TokensPage() {
  const user = await requireUser("/settings/tokens");
  const now = new Date();
  const tokens = await listApiTokens({ userId: user.id });
  return (
    <div className="max-w-5xl space-y-8">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">API tokens</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          A token lets git and scripts act as you, with your roles in each account. For git, use the user name{" "}
          <code className="font-mono">token</code> and the token as the password. Scripts use the REST API with{" "}
          <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>: see the{" "}
          <Link href="/docs/api" className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            API reference
          </Link>
          .
        </p>
      </div>

      <section
        aria-labelledby="new-token-heading"
        className="max-w-3xl space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
      >
        <h2 id="new-token-heading" className="text-lg font-semibold">
          New token
        </h2>
        <CreateTokenForm />
      </section>

      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-lg font-semibold">
          Your tokens
        </h2>
        {tokens.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">You have no tokens yet.</p>
        ) : (
          <div className="relative overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
            <table className="w-full text-left text-sm" aria-label="API tokens">
              <thead className="whitespace-nowrap bg-slate-50 dark:bg-slate-800/50 text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr>
                  <th className="px-4 py-2 font-medium">Name</th>
                  <th className="px-4 py-2 font-medium">Token</th>
                  <th className="px-4 py-2 font-medium">Access</th>
                  <th className="px-4 py-2 font-medium">Created</th>
                  <th className="px-4 py-2 font-medium">Last used</th>
                  <th className="px-4 py-2 font-medium">Expires</th>
                  <th className="px-4 py-2 font-medium">Status</th>
                  <th className="px-4 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {tokens.map((token) => (
                  <TokenRow key={token.id} token={token} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function TokenRow({ token, now }: { token: ApiToken; now: Date }) {
  const state = tokenState(token, now);
  return (
    <tr data-testid={`token-${token.id}`} data-state={state} className={state === "active" ? "" : "text-slate-500 dark:text-slate-400"}>
      <td className="min-w-32 px-4 py-2 font-medium">{token.name}</td>
      <td className="px-4 py-2 whitespace-nowrap font-mono text-xs">{token.prefix}…</td>
      <td className="px-4 py-2 whitespace-nowrap">{token.readOnly ? "Read-only" : "Read and write"}</td>
      <td className="px-4 py-2 whitespace-nowrap">{when(token.createdAt)}</td>
      <td className="px-4 py-2 whitespace-nowrap">{when(token.lastUsedAt, "Never")}</td>
      <td className="px-4 py-2 whitespace-nowrap">{when(token.expiresAt, "Never")}</td>
      <td className="px-4 py-2 whitespace-nowrap">{state === "revoked" ? `Revoked ${when(token.revokedAt)}` : STATE_LABEL[state]}</td>
      <td className="px-4 py-2 text-right">{state === "revoked" ? null : <RevokeTokenButton tokenId={token.id} name={token.name} />}</td>
    </tr>
  );
}
