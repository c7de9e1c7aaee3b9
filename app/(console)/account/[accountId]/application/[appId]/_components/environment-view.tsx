import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { CloneInstructions } from "@/components/clone-instructions";
import { CopyButton } from "@/components/ui/copy-button";
import { StatusBadge } from "@/components/ui/status-badge";
import { can } from "@/lib/auth/permissions";
import type { Access } from "@/lib/auth/access";
import { cloneUrl, repositoryPath } from "@/lib/applications/repository";
import { listEnvironmentDomainPage, listEnvironmentOverviews, parseDomainPageParams } from "@/lib/domains/listing";
import { readBranchBlobCached } from "@/lib/git/cache";
import { getEnvironmentByName, type ApplicationRow } from "@/lib/applications/queries";
import { listEnvironmentClaims } from "@/lib/edge/claims";
import { AddDomainForm } from "./add-domain-form";
import { DeleteEnvironmentForm } from "./delete-environment-form";
import { DomainClaims } from "./domain-claims";
import { EdgePanel } from "./edge-panel";
import { RedirectHttpsPanel } from "./https-panel";
import { loadEdgePanel } from "./edge-serving-data";
import { DomainList } from "./domain-list";
import { EnvironmentHeader, overviewHref } from "./environment-header";
import { NewEnvironmentForm } from "./new-environment-form";
import { PurgePanel } from "./purge-panel";

/** Up to this many domains on a page, their details (records, last check) are rendered in place. */
const INLINE_DETAILS_MAX = 10;

/**
 * An application seen through one environment: what the edge serves for it, the module versions the edge runs and (for
 * owners and admins) its X-Edge-Secret (EdgePanel); its domains with their go-live status and records (a page at a time,
 * searchable by hostname; see DomainList), its claims on other accounts' hostnames (DomainClaims), the clone URL, and `section.config.json` of the environment's branch
 * (read once per commit: lib/git/cache.ts). The overview (Production's view) also lists every
 * environment with its status and offers "New environment"; other environments offer "Delete environment".
 * Buttons appear only for roles that may use them; the actions check again on the server.
 */
export async function EnvironmentView({
  access,
  application,
  envName,
  searchParams = {},
}: {
  access: Access;
  application: ApplicationRow;
  envName: string;
  /** The page's search params: `q` (hostname prefix), `after` / `before` (keyset cursors of the domain list). */
  searchParams?: Record<string, string | string[] | undefined>;
}) {
  const environment = await getEnvironmentByName({ applicationId: application.id, name: envName });
  if (!environment) notFound();
  // One URL per environment: `/environment/production` goes to `/environment/Production`.
  if (environment.name !== envName)
    redirect(`/account/${application.accountId}/application/${application.id}/environment/${encodeURIComponent(environment.name)}`);
  const environments = await listEnvironmentOverviews({ applicationId: application.id });
  const total = environments.find((e) => e.id === environment.id)?.status.total ?? 0;
  const search = parseDomainPageParams(searchParams);
  const page = await listEnvironmentDomainPage({
    environmentId: environment.id,
    prefix: search.error ? "" : search.prefix,
    after: search.after,
    before: search.before,
  });
  // A short list shows every domain's details in place; a long one loads them when opened (docs/product.md §3.5).
  const inline = page.matching <= INLINE_DETAILS_MAX;
  const config = await readBranchBlobCached(repositoryPath(application), environment.name, "section.config.json");
  const url = cloneUrl(application);
  const canVerify = can(access.role, "domain.verify");
  const canManage = can(access.role, "environment.manage");
  const canEdit = can(access.role, "config.edit");
  const canManageDomains = can(access.role, "domain.manage");
  const base = `/account/${access.account.id}/application/${application.id}`;
  const envBase = `${base}/environment/${encodeURIComponent(environment.name)}`;
  const isProduction = environment.name === "Production";
  const edge = await loadEdgePanel(access, environment, config);
  const claims = await listEnvironmentClaims(environment.id);
  return (
    <div className="space-y-8">
      <EnvironmentHeader
        account={access.account}
        application={application}
        environments={environments}
        current={environment}
        section="overview"
        canEdit={canEdit}
      />

      <EdgePanel data={edge} />

      <RedirectHttpsPanel environmentId={environment.id} on={environment.redirectHttps} canManage={can(access.role, "https.manage")} />

      <PurgePanel
        environment={environment}
        repoDir={application.repoDir}
        canPurge={can(access.role, "edge.purge")}
        canBan={can(access.role, "edge.ban")}
      />

      <section aria-labelledby="domains-heading" className="space-y-3">
        <h2 id="domains-heading" className="text-lg font-semibold">
          Domains <span className="text-sm font-normal text-slate-500 dark:text-slate-400">({environment.name})</span>
        </h2>
        <DomainList
          basePath={isProduction ? base : envBase}
          page={page}
          total={total}
          search={search}
          inline={inline}
          canVerify={canVerify}
          canManage={canManageDomains}
        />
        {canManageDomains ? (
          <details className="group space-y-3">
            <summary className="cursor-pointer list-none text-sm font-semibold text-indigo-700 dark:text-indigo-300 hover:underline">
              <span className="group-open:hidden">+ Add domain</span>
              <span className="hidden group-open:inline">Add domain</span>
            </summary>
            <AddDomainForm environmentId={environment.id} environmentName={environment.name} />
          </details>
        ) : null}
      </section>

      <DomainClaims claims={claims} canVerify={canVerify} canManage={canManageDomains} />

      {isProduction ? (
        <section aria-labelledby="environments-heading" className="space-y-3">
          <h2 id="environments-heading" className="text-lg font-semibold">
            Environments
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Each environment is a branch of the repository with its own domains. Try a change in one, compare it with Production, then
            promote it.
          </p>
          <ul className="divide-y divide-slate-100 dark:divide-slate-800 rounded-xl bg-white dark:bg-slate-900 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700">
            {environments.map((env) => (
              <li key={env.id} data-testid={`environment-${env.name}`} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-5 py-3">
                <Link href={overviewHref(base, env.name)} className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
                  {env.name}
                </Link>
                <StatusBadge status={env.status.status} label={env.status.label} />
                <span className="min-w-0 flex-1 truncate text-sm text-slate-600 dark:text-slate-400">
                  {env.hostnames.join(", ") || "No domains"}
                  {env.status.total > env.hostnames.length ? ` and ${env.status.total - env.hostnames.length} more` : ""}
                </span>
                <span className="flex gap-3 text-sm">
                  <Link
                    className="text-slate-600 dark:text-slate-400 hover:underline"
                    href={`${base}/environment/${encodeURIComponent(env.name)}/files`}
                  >
                    Files
                  </Link>
                  <Link
                    className="text-slate-600 dark:text-slate-400 hover:underline"
                    href={`${base}/environment/${encodeURIComponent(env.name)}/history`}
                  >
                    History
                  </Link>
                  {env.name !== "Production" ? (
                    <Link
                      className="text-slate-600 dark:text-slate-400 hover:underline"
                      href={`${base}/environment/${encodeURIComponent(env.name)}/compare`}
                    >
                      Compare
                    </Link>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
          {canManage ? (
            <details className="group space-y-3" open={environments.length === 1}>
              <summary className="cursor-pointer list-none text-sm font-semibold text-indigo-700 dark:text-indigo-300 hover:underline">
                <span className="group-open:hidden">+ New environment</span>
                <span className="hidden group-open:inline">New environment</span>
              </summary>
              <NewEnvironmentForm applicationId={application.id} sources={environments.map((e) => e.name)} />
            </details>
          ) : null}
        </section>
      ) : null}

      <section aria-labelledby="git-heading" className="space-y-2">
        <h2 id="git-heading" className="text-lg font-semibold">
          Repository
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          The configuration lives in a git repository; the <span className="font-mono">{environment.name}</span> environment is its{" "}
          <span className="font-mono">{environment.name}</span> branch.
        </p>
        <div className="flex items-center gap-2 rounded-lg bg-white dark:bg-slate-900 px-3 py-2 ring-1 ring-slate-200 dark:ring-slate-700">
          <code className="min-w-0 flex-1 break-all text-xs">{url}</code>
          <CopyButton value={url} label="Copy clone URL" />
        </div>
        <CloneInstructions url={url} canPush={canEdit} branch={environment.name} />
      </section>

      <section aria-labelledby="config-heading" className="space-y-2">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="config-heading" className="text-lg font-semibold">
            <span className="font-mono">section.config.json</span>{" "}
            <span className="text-sm font-normal text-slate-500 dark:text-slate-400">({environment.name} branch)</span>
          </h2>
          {canEdit ? (
            <Link href={`${envBase}/edit`} className="text-sm font-semibold text-indigo-700 dark:text-indigo-300 hover:underline">
              Edit configuration
            </Link>
          ) : null}
        </div>
        {config === null ? (
          <p className="text-sm text-red-700 dark:text-red-300">The configuration file could not be read from the repository.</p>
        ) : (
          <pre
            aria-label="section.config.json"
            tabIndex={0}
            className="overflow-x-auto rounded-lg bg-slate-900 dark:bg-slate-950 dark:ring-1 dark:ring-slate-800 p-4 text-xs leading-relaxed text-slate-100"
          >
            {config}
          </pre>
        )}
      </section>

      {!isProduction && canManage ? (
        <section
          aria-labelledby="delete-heading"
          className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-red-200 dark:ring-red-900"
        >
          <h2 id="delete-heading" className="text-lg font-semibold text-red-800 dark:text-red-200">
            Delete environment
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Deletes {environment.name} and frees its hostnames. Its branch is kept in the repository as a tag{" "}
            <span className="font-mono">deleted/{environment.name}-…</span>. Not possible while one of its domains is live.
          </p>
          <DeleteEnvironmentForm environmentId={environment.id} name={environment.name} />
        </section>
      ) : null}
    </div>
  );
}
