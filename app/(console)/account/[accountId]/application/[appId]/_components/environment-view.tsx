import Link from "next/link";
import { notFound } from "next/navigation";
import { CopyButton } from "@/components/ui/copy-button";
import { StatusBadge } from "@/components/ui/status-badge";
import { can } from "@/lib/auth/permissions";
import type { Access } from "@/lib/auth/access";
import { summariseEnvironment } from "@/lib/domains/summary";
import { cloneUrl, readBranchFile } from "@/lib/applications/repository";
import { getEnvironmentByName, listDomainsOfEnvironment, listEnvironments, type ApplicationRow } from "@/db/queries/applications";
import { listRecentChecks } from "@/db/queries/domains";
import { DomainPanel } from "./domain-panel";

/**
 * An application seen through one environment: its domains with their go-live status and records, the clone
 * URL, and `section.config.json` of the environment's branch (read-only). The overview is Production's view.
 */
export async function EnvironmentView({ access, application, envName }: { access: Access; application: ApplicationRow; envName: string }) {
  const environment = getEnvironmentByName({ applicationId: application.id, name: envName });
  if (!environment) notFound();
  const environments = listEnvironments({ applicationId: application.id });
  const domains = listDomainsOfEnvironment({ environmentId: environment.id });
  const summary = summariseEnvironment(domains.map((d) => d.status));
  const config = await readBranchFile(application, environment.name, "section.config.json");
  const url = cloneUrl(application);
  const canVerify = can(access.role, "domain.verify");
  const base = `/account/${access.account.id}/application/${application.id}`;
  return (
    <div className="space-y-8">
      <div className="space-y-2">
        <Link href={`/account/${access.account.id}`} className="text-sm text-slate-500 hover:underline">
          ← {access.account.name}
        </Link>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="break-all text-2xl font-semibold tracking-tight">{application.name}</h1>
          <StatusBadge status={summary.status} label={summary.label} />
        </div>
        <nav aria-label="Environments" className="flex flex-wrap gap-2 text-sm">
          {environments.map((env) => (
            <Link
              key={env.id}
              href={env.name === "Production" ? base : `${base}/environment/${env.name}`}
              aria-current={env.id === environment.id ? "page" : undefined}
              className="rounded-full px-3 py-1 ring-1 ring-inset ring-slate-200 hover:bg-slate-100 aria-[current=page]:bg-indigo-600 aria-[current=page]:text-white aria-[current=page]:ring-indigo-600"
            >
              {env.name}
            </Link>
          ))}
        </nav>
      </div>

      <section aria-labelledby="domains-heading" className="space-y-3">
        <h2 id="domains-heading" className="text-lg font-semibold">
          Domains <span className="text-sm font-normal text-slate-500">({environment.name})</span>
        </h2>
        {domains.length === 0 ? <p className="text-sm text-slate-600">This environment has no domains.</p> : null}
        {domains.map((domain) => (
          <DomainPanel key={domain.id} domain={domain} lastCheck={listRecentChecks({ domainId: domain.id, limit: 1 })[0]} canVerify={canVerify} />
        ))}
      </section>

      <section aria-labelledby="git-heading" className="space-y-2">
        <h2 id="git-heading" className="text-lg font-semibold">Repository</h2>
        <p className="text-sm text-slate-600">
          The configuration lives in a git repository; the <span className="font-mono">{environment.name}</span> environment is its{" "}
          <span className="font-mono">{environment.name}</span> branch.
        </p>
        <div className="flex items-center gap-2 rounded-lg bg-white px-3 py-2 ring-1 ring-slate-200">
          <code className="min-w-0 flex-1 break-all text-xs">{url}</code>
          <CopyButton value={url} label="Copy clone URL" />
        </div>
      </section>

      <section aria-labelledby="config-heading" className="space-y-2">
        <h2 id="config-heading" className="text-lg font-semibold">
          <span className="font-mono">section.config.json</span> <span className="text-sm font-normal text-slate-500">({environment.name} branch, read-only)</span>
        </h2>
        {config === null ? (
          <p className="text-sm text-red-700">The configuration file could not be read from the repository.</p>
        ) : (
          <pre className="overflow-x-auto rounded-lg bg-slate-900 p-4 text-xs leading-relaxed text-slate-100">{config}</pre>
        )}
      </section>
    </div>
  );
}
