import Link from "next/link";
import { CopyButton } from "@/components/ui/copy-button";

/**
 * "Clone with git": how to clone an application's repository over HTTP with a personal API token (docs/product.md §3.6),
 * and whether the reader's role can push. Presentational: pass the clone URL (`cloneUrl` in
 * lib/applications/repository) and `canPush` (the member's role has "config.edit").
 */
export function CloneInstructions({ url, canPush, branch = "Production" }: { url: string; canPush: boolean; branch?: string }) {
  const clone = `git clone ${url}`;
  return (
    <details
      className="rounded-lg bg-white dark:bg-slate-900 px-3 py-2 text-sm ring-1 ring-slate-200 dark:ring-slate-700"
      data-testid="clone-instructions"
    >
      <summary className="cursor-pointer font-medium text-slate-800 dark:text-slate-200">Clone with git</summary>
      <div className="mt-3 space-y-3 text-slate-700 dark:text-slate-300">
        <ol className="list-decimal space-y-2 pl-5">
          <li>
            Create a personal API token in{" "}
            <Link href="/settings/tokens" className="text-indigo-700 underline dark:text-indigo-300">
              Settings → API tokens
            </Link>
            {canPush ? "" : " (a read-only one is enough: your role can fetch but not push)"}.
          </li>
          <li>
            <div className="flex items-center gap-2">
              <code className="min-w-0 flex-1 break-all rounded bg-slate-100 dark:bg-slate-800 px-2 py-1 text-xs">{clone}</code>
              <CopyButton value={clone} label="Copy clone command" />
            </div>
            When git asks, the user name is <code className="font-mono">token</code> and the password is your token. A credential helper (
            <code className="font-mono">git config --global credential.helper store</code>, or your system&apos;s keychain helper) remembers
            it.
          </li>
          <li>
            Each environment is a branch: <code className="font-mono">git switch {branch}</code>.{" "}
            {canPush
              ? "Pushes are checked before anything changes: section.config.json must be valid, environment branches cannot be deleted or force-pushed, and a new branch named like an environment (letters and digits, e.g. Staging) becomes an environment."
              : "Your role can read the configuration but not push changes."}
          </li>
        </ol>
        <p className="text-xs text-slate-500 dark:text-slate-400">
          For scripts: <code className="font-mono">git clone http(s)://token:&lt;token&gt;@…</code> works too, but stores the token in the
          clone&apos;s <code className="font-mono">.git/config</code>.
        </p>
      </div>
    </details>
  );
}
