import type { Metadata } from "next";
import Link from "next/link";
import { FormMessage } from "@/components/ui/field";
import { parseId } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { repositoryPath } from "@/lib/applications/repository";
import { environmentPath, requireEnvironment } from "@/lib/environments/access";
import { isEditable } from "@/lib/environments/edit";
import { readBlobAt } from "@/lib/git/commit";
import { getCommit } from "@/lib/git/history";
import { isSafeTreePath } from "@/lib/git/names";
import { listTree } from "@/lib/git/read";
import { resolveBranch } from "@/lib/git/refs";
import { listEnvironmentOverviews } from "@/lib/domains/listing";
import { EnvironmentHeader } from "../../../_components/environment-header";
import { formatUtc } from "@/components/ui/format";

export const metadata: Metadata = { title: "Files" };

const size = (n: number | null) => (n === null ? "" : n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);
const time = (d: Date) => formatUtc(d, { seconds: false });

/** The files of the environment's branch at its head; `?path=` shows one file (docs/product.md §3.4 "browse files"). */
export default async function FilesPage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string; appId: string; envName: string }>;
  searchParams: Promise<{ path?: string | string[] }>;
}) {
  const { accountId, appId, envName } = await params;
  const query = await searchParams;
  const { application, environment, account, role } = await requireEnvironment(parseId(accountId), parseId(appId), envName);
  const environments = await listEnvironmentOverviews({ applicationId: application.id });
  const canEdit = can(role, "config.edit");
  const repoPath = repositoryPath(application);
  const head = await resolveBranch(repoPath, environment.name);
  const entries = (await listTree(repoPath, environment.name)) ?? [];
  const last = head ? await getCommit(repoPath, head) : null;
  const base = environmentPath(environment);
  const selected = typeof query.path === "string" && isSafeTreePath(query.path) ? query.path : null;
  const blob = selected && head ? await readBlobAt(repoPath, head, selected) : null;
  const binary = blob ? blob.content.includes(0) : false;

  return (
    <div className="space-y-6">
      <EnvironmentHeader
        account={account}
        application={application}
        environments={environments}
        current={environment}
        section="files"
        canEdit={canEdit}
      />
      {last ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Branch <span className="font-mono">{environment.name}</span> at <span className="font-mono">{last.sha.slice(0, 7)}</span>: “
          {last.subject}” by {last.authorName}, {time(last.authoredAt)}.
        </p>
      ) : (
        <FormMessage>The {environment.name} branch is missing from the repository.</FormMessage>
      )}

      {selected ? (
        <section aria-labelledby="file-heading" className="space-y-2">
          <div className="flex flex-wrap items-baseline justify-between gap-3">
            <h2 id="file-heading" className="break-all font-mono text-base font-semibold">
              {selected}
            </h2>
            <span className="flex gap-4 text-sm">
              <Link href={`${base}/files`} className="text-slate-600 dark:text-slate-400 hover:underline">
                All files
              </Link>
              {blob && canEdit && isEditable(blob) && !binary ? (
                <Link
                  href={`${base}/edit?path=${encodeURIComponent(selected)}`}
                  className="font-semibold text-indigo-700 dark:text-indigo-300 hover:underline"
                >
                  Edit
                </Link>
              ) : null}
            </span>
          </div>
          {!blob ? (
            <FormMessage>
              There is no file {selected} on {environment.name}.
            </FormMessage>
          ) : binary ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Binary file, {size(blob.size)}.</p>
          ) : (
            <pre
              aria-label={selected}
              tabIndex={0}
              className="max-h-[40rem] overflow-auto rounded-lg bg-slate-900 dark:bg-slate-950 dark:ring-1 dark:ring-slate-800 p-4 text-xs leading-relaxed text-slate-100"
            >
              {blob.content.toString("utf8")}
            </pre>
          )}
        </section>
      ) : (
        <table className="w-full overflow-hidden rounded-xl bg-white dark:bg-slate-900 text-left text-sm shadow-sm ring-1 ring-slate-200 dark:ring-slate-700">
          <caption className="sr-only">Files of {environment.name}</caption>
          <thead className="bg-slate-50 dark:bg-slate-800/50 text-xs text-slate-500 dark:text-slate-400">
            <tr>
              <th className="px-4 py-2 font-medium">File</th>
              <th className="px-4 py-2 text-right font-medium">Size</th>
              <th className="px-4 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.path} className="border-t border-slate-100 dark:border-slate-800">
                <td className="px-4 py-2 font-mono text-xs">
                  <Link
                    href={`${base}/files?path=${encodeURIComponent(entry.path)}`}
                    className="text-indigo-700 dark:text-indigo-300 hover:underline"
                  >
                    {entry.path}
                  </Link>
                </td>
                <td className="px-4 py-2 text-right text-xs text-slate-500 dark:text-slate-400">{size(entry.size)}</td>
                <td className="px-4 py-2 text-right text-xs">
                  {canEdit && entry.type === "blob" && isEditable({ mode: entry.mode, size: entry.size }) ? (
                    <Link
                      href={`${base}/edit?path=${encodeURIComponent(entry.path)}`}
                      className="text-indigo-700 dark:text-indigo-300 hover:underline"
                      aria-label={`Edit ${entry.path}`}
                    >
                      Edit
                    </Link>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
