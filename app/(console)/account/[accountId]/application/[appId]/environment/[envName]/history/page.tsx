import type { Metadata } from "next";
import Link from "next/link";
import { DiffView } from "@/components/ui/diff-view";
import { FormMessage } from "@/components/ui/field";
import { parseId } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { repositoryPath } from "@/lib/applications/repository";
import { environmentPath, requireEnvironment } from "@/lib/environments/access";
import { diffCommit } from "@/lib/git/diff";
import { listCommits } from "@/lib/git/history";
import { isObjectId } from "@/lib/git/refs";
import { listEnvironmentOverviews } from "@/lib/domains/listing";
import { EnvironmentHeader } from "../../../_components/environment-header";
import { RevertButton } from "./revert-button";
import { formatUtc } from "@/components/ui/format";

export const metadata: Metadata = { title: "History" };

const PAGE_SIZE = 20;
const time = (d: Date) => formatUtc(d);
const NOTICES: Record<string, string> = { saved: "Saved as commit", promoted: "Promoted: merge commit" };

/**
 * The environment's history (docs/product.md §3.4): the changes made on its branch, newest first, 20 per page — author, time,
 * message and diff of each — with "Revert" for members who may edit. Follows first parents, so a promotion is one
 * entry whose diff is what it changed here.
 */
export default async function HistoryPage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string; appId: string; envName: string }>;
  searchParams: Promise<{ page?: string; notice?: string; commit?: string }>;
}) {
  const { accountId, appId, envName } = await params;
  const query = await searchParams;
  const { application, environment, account, role } = await requireEnvironment(parseId(accountId), parseId(appId), envName);
  const environments = await listEnvironmentOverviews({ applicationId: application.id });
  const canEdit = can(role, "config.edit");
  const repoPath = repositoryPath(application);
  const pageNumber = Math.min(10_000, Math.max(1, Math.floor(Number(query.page)) || 1));
  const page = await listCommits(repoPath, environment.name, { skip: (pageNumber - 1) * PAGE_SIZE, limit: PAGE_SIZE });
  const diffs = page ? await Promise.all(page.commits.map((c) => diffCommit(repoPath, c.sha, { maxBytes: 64 * 1024 }))) : [];
  const base = `${environmentPath(environment)}/history`;
  const notice =
    query.notice && NOTICES[query.notice] && isObjectId(query.commit) ? `${NOTICES[query.notice]} ${query.commit.slice(0, 7)}.` : null;

  return (
    <div className="space-y-6">
      <EnvironmentHeader
        account={account}
        application={application}
        environments={environments}
        current={environment}
        section="history"
        canEdit={canEdit}
      />
      {notice ? <FormMessage tone="success">{notice}</FormMessage> : null}
      {!page ? (
        <FormMessage>The {environment.name} branch is missing from the repository.</FormMessage>
      ) : (
        <ol aria-label={`History of ${environment.name}`} className="space-y-3">
          {page.commits.map((commit, i) => (
            <li
              key={commit.sha}
              data-testid={`commit-${commit.sha.slice(0, 7)}`}
              className="space-y-2 rounded-xl bg-white dark:bg-slate-900 p-4 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700"
            >
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="min-w-0 space-y-1">
                  <p className="break-words font-medium text-slate-900 dark:text-slate-100">
                    {commit.subject}
                    {commit.parents.length > 1 ? (
                      <span className="ml-2 rounded bg-indigo-50 dark:bg-indigo-950/40 px-1.5 py-0.5 text-xs font-semibold text-indigo-700 dark:text-indigo-300">
                        merge
                      </span>
                    ) : null}
                  </p>
                  <p className="text-xs text-slate-500 dark:text-slate-400">
                    {commit.authorName} &lt;{commit.authorEmail}&gt; ·{" "}
                    <time dateTime={commit.authoredAt.toISOString()}>{time(commit.authoredAt)}</time> ·{" "}
                    <span className="font-mono">{commit.sha.slice(0, 7)}</span>
                  </p>
                  {commit.message !== commit.subject ? (
                    <p className="whitespace-pre-wrap text-xs text-slate-600 dark:text-slate-400">
                      {commit.message.slice(commit.subject.length).trim()}
                    </p>
                  ) : null}
                </div>
                {canEdit && commit.parents.length > 0 ? (
                  <RevertButton environmentId={environment.id} commit={commit.sha} subject={commit.subject} />
                ) : null}
              </div>
              <details>
                <summary className="cursor-pointer text-xs font-medium text-indigo-700 dark:text-indigo-300">
                  Show diff ({diffs[i].files.length} file{diffs[i].files.length === 1 ? "" : "s"})
                </summary>
                <div className="mt-2">
                  <DiffView diff={diffs[i]} label={`Diff of ${commit.sha.slice(0, 7)}`} />
                </div>
              </details>
            </li>
          ))}
        </ol>
      )}
      <nav aria-label="Pages" className="flex justify-between text-sm">
        {pageNumber > 1 ? (
          <Link href={`${base}?page=${pageNumber - 1}`} className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            ← Newer
          </Link>
        ) : (
          <span />
        )}
        {page?.hasMore ? (
          <Link href={`${base}?page=${pageNumber + 1}`} className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Older →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
