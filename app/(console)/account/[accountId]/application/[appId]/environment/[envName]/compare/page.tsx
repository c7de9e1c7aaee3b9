import type { Metadata } from "next";
import { DiffView } from "@/components/ui/diff-view";
import { FormMessage } from "@/components/ui/field";
import { parseId } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { environmentPath, requireEnvironment } from "@/lib/environments/access";
import { compareEnvironment } from "@/lib/environments/compare";
import { listEnvironmentOverviews } from "@/lib/domains/listing";
import { EnvironmentHeader } from "../../../_components/environment-header";
import { PromoteButton } from "./promote-button";

export const metadata: Metadata = { title: "Compare" };

/**
 * Compares the environment with another (`?with=`, default Production): the difference between their branches'
 * files. For a non-Production environment it also shows what promoting it would change in Production — the
 * diff from Production to the merged result, or the conflicting files — and "Promote to Production".
 */
export default async function ComparePage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string; appId: string; envName: string }>;
  searchParams: Promise<{ with?: string | string[] }>;
}) {
  const { accountId, appId, envName } = await params;
  const query = await searchParams;
  const { application, environment, account, role } = await requireEnvironment(parseId(accountId), parseId(appId), envName);
  const environments = await listEnvironmentOverviews({ applicationId: application.id });
  const others = environments.filter((e) => e.id !== environment.id);
  const other = others.find((e) => typeof query.with === "string" && e.name.toLowerCase() === query.with.toLowerCase()) ?? others[0];
  const { diff, preview } = await compareEnvironment({ application, environment }, other ?? null);
  const canPromote = can(role, "config.edit");

  return (
    <div className="space-y-6">
      <EnvironmentHeader
        account={account}
        application={application}
        environments={environments}
        current={environment}
        section="compare"
        canEdit={can(role, "config.edit")}
      />
      {!other ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">There is no other environment to compare {environment.name} with yet.</p>
      ) : (
        <section aria-labelledby="compare-heading" className="space-y-3">
          <form method="get" action={`${environmentPath(environment)}/compare`} className="flex flex-wrap items-end gap-3">
            <div className="space-y-1">
              <label htmlFor="compare-with" className="block text-sm font-medium text-slate-800 dark:text-slate-200">
                Compare {environment.name} with
              </label>
              <select
                id="compare-with"
                name="with"
                defaultValue={other.name}
                className="rounded-md border-0 bg-white dark:bg-slate-900 py-2 pl-3 pr-8 text-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600"
              >
                {others.map((e) => (
                  <option key={e.id} value={e.name}>
                    {e.name}
                  </option>
                ))}
              </select>
            </div>
            <button
              type="submit"
              className="rounded-md bg-white dark:bg-slate-900 px-3 py-2 text-sm font-semibold ring-1 ring-inset ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50"
            >
              Compare
            </button>
          </form>
          <h2 id="compare-heading" className="text-lg font-semibold">
            {environment.name} compared with {other.name}
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Lines marked + are in {environment.name} but not in {other.name}; lines marked − are in {other.name} only.
          </p>
          {diff ? (
            <DiffView diff={diff} label={`${environment.name} compared with ${other.name}`} />
          ) : (
            <FormMessage>A branch is missing from the repository.</FormMessage>
          )}
        </section>
      )}

      {preview ? (
        <section
          aria-labelledby="promote-heading"
          className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700"
        >
          <h2 id="promote-heading" className="text-lg font-semibold">
            Promote {environment.name} to Production
          </h2>
          {preview.state === "ready" ? (
            <>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                Promoting merges {environment.name} into Production as a commit “{environment.name} merged to Production”. Production will
                change like this:
              </p>
              <DiffView diff={preview.diff} label="What promoting changes in Production" />
              {canPromote ? (
                <PromoteButton
                  environmentId={environment.id}
                  environment={environment.name}
                  productionHead={preview.productionHead}
                  environmentHead={preview.environmentHead}
                />
              ) : null}
            </>
          ) : preview.state === "conflict" ? (
            <FormMessage tone="warning">
              <p>{preview.message}</p>
              <ul className="mt-1 list-inside list-disc text-xs">
                {preview.details.map((c) => (
                  <li key={c.path}>
                    <span className="font-mono">{c.path}</span>: {c.message}
                  </li>
                ))}
              </ul>
            </FormMessage>
          ) : preview.state === "invalid" ? (
            <>
              <FormMessage tone="warning">
                <p>{preview.message}</p>
                <ul className="mt-1 list-inside list-disc text-xs">
                  {preview.issues.map((issue, i) => (
                    <li key={i}>
                      <code>{issue.path || "section.config.json"}</code>: {issue.message}
                    </li>
                  ))}
                </ul>
              </FormMessage>
              <DiffView diff={preview.diff} label="What promoting would change in Production" />
            </>
          ) : (
            <p className="text-sm text-slate-600 dark:text-slate-400">{preview.message}</p>
          )}
        </section>
      ) : null}
    </div>
  );
}
