import type { Metadata } from "next";
import Link from "next/link";
import { FormMessage } from "@/components/ui/field";
import { parseId } from "@/lib/auth/access";
import { can, forbiddenMessage } from "@/lib/auth/permissions";
import { repositoryPath } from "@/lib/applications/repository";
import { environmentPath, requireEnvironment } from "@/lib/environments/access";
import { decodeUtf8Text } from "@/lib/section-config/encoding";
import { sectionConfigJsonSchema } from "@/lib/section-config/json-schema";
import { isEditable } from "@/lib/environments/edit";
import { readBlobAt } from "@/lib/git/commit";
import { isSafeTreePath } from "@/lib/git/names";
import { listTree } from "@/lib/git/read";
import { resolveBranch } from "@/lib/git/refs";
import { listEnvironmentOverviews } from "@/lib/domains/listing";
import { EnvironmentHeader } from "../../../_components/environment-header";
import { ConfigEditor } from "./config-editor";

export const metadata: Metadata = { title: "Edit configuration" };

/** Edits one file of the environment's branch (default `section.config.json`) in the browser (docs/product.md §3.4). */
export default async function EditPage({
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
  const header = (
    <EnvironmentHeader
      account={account}
      application={application}
      environments={environments}
      current={environment}
      section="edit"
      canEdit={can(role, "config.edit")}
    />
  );
  if (!can(role, "config.edit")) {
    return (
      <div className="space-y-6">
        {header}
        <FormMessage>{forbiddenMessage(role, "edit the configuration")}</FormMessage>
      </div>
    );
  }

  const repoPath = repositoryPath(application);
  const filePath = typeof query.path === "string" && isSafeTreePath(query.path) ? query.path : "section.config.json";
  const head = await resolveBranch(repoPath, environment.name);
  const blob = head ? await readBlobAt(repoPath, head, filePath) : null;
  const files = ((await listTree(repoPath, environment.name)) ?? []).filter(
    (e) => e.type === "blob" && isEditable({ mode: e.mode, size: e.size }),
  );
  const editable = !!blob && isEditable(blob);
  // The editor holds text: a file that is not UTF-8 (UTF-16, Latin-1, binary) is named, not shown garbled.
  const decoded = blob && editable ? decodeUtf8Text(blob.content, filePath) : null;
  const base = environmentPath(environment);
  return (
    <div className="space-y-6">
      {header}
      <div className="flex flex-wrap items-baseline justify-between gap-3">
        <h2 className="text-lg font-semibold">
          Edit <span className="font-mono">{filePath}</span>{" "}
          <span className="text-sm font-normal text-slate-500 dark:text-slate-400">on {environment.name}</span>
        </h2>
        <nav aria-label="Files to edit" className="flex flex-wrap gap-x-3 gap-y-1 text-sm">
          {files.map((f) => (
            <Link
              key={f.path}
              href={`${base}/edit?path=${encodeURIComponent(f.path)}`}
              aria-current={f.path === filePath ? "page" : undefined}
              className="font-mono text-xs text-indigo-700 hover:underline aria-[current=page]:font-semibold aria-[current=page]:text-slate-900 dark:text-indigo-300 dark:aria-[current=page]:text-slate-100"
            >
              {f.path}
            </Link>
          ))}
        </nav>
      </div>
      {!head ? (
        <FormMessage>The {environment.name} branch is missing from the repository.</FormMessage>
      ) : !decoded ? (
        <FormMessage>
          {filePath} is not a text file of {environment.name} that can be edited here.
        </FormMessage>
      ) : !decoded.ok ? (
        <FormMessage>{decoded.problem.message}. The browser editor cannot open it: push the fixed file with git.</FormMessage>
      ) : (
        <ConfigEditor
          key={`${head}:${filePath}`}
          environmentId={environment.id}
          environment={environment.name}
          path={filePath}
          content={decoded.text}
          baseCommit={head}
          reloadHref={`${base}/edit?path=${encodeURIComponent(filePath)}`}
          schema={filePath === "section.config.json" ? sectionConfigJsonSchema() : undefined}
        />
      )}
    </div>
  );
}
