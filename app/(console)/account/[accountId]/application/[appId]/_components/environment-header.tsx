import Link from "next/link";
import { StatusBadge } from "@/components/ui/status-badge";
import type { EnvironmentSummary } from "@/lib/environments/queries";

export type EnvironmentSection = "overview" | "files" | "edit" | "history" | "compare" | "traffic";

const SECTIONS: { id: EnvironmentSection; label: string; sub: string }[] = [
  { id: "overview", label: "Overview", sub: "" },
  { id: "files", label: "Files", sub: "files" },
  { id: "edit", label: "Edit", sub: "edit" },
  { id: "history", label: "History", sub: "history" },
  { id: "compare", label: "Compare", sub: "compare" },
  { id: "traffic", label: "Traffic", sub: "traffic" },
];

/** URL of an environment's overview: the application page for Production, else `…/environment/<name>`. */
export function overviewHref(base: string, name: string): string {
  return name === "Production" ? base : `${base}/environment/${encodeURIComponent(name)}`;
}

/**
 * Top of every page of an application seen through one environment: the way back to the account, the application's
 * name with the environment's go-live status, one tab per environment (with its status), and the environment's
 * sections (overview, files, edit, history, compare), and a link to the application's settings. `canEdit` hides "Edit" from roles that cannot edit.
 */
export function EnvironmentHeader({
  account,
  application,
  environments,
  current,
  section,
  canEdit,
}: {
  account: { id: number; name: string };
  application: { id: number; name: string };
  environments: EnvironmentSummary[];
  current: { id: number; name: string };
  section: EnvironmentSection;
  canEdit: boolean;
}) {
  const base = `/account/${account.id}/application/${application.id}`;
  const env = environments.find((e) => e.id === current.id);
  const envBase = `${base}/environment/${encodeURIComponent(current.name)}`;
  return (
    <div className="space-y-3">
      <Link href={`/account/${account.id}`} className="text-sm text-slate-500 dark:text-slate-400 hover:underline">
        ← {account.name}
      </Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="break-all text-2xl font-semibold tracking-tight">{application.name}</h1>
        {env ? <StatusBadge status={env.status.status} label={env.status.label} /> : null}
        <Link href={`${base}/settings`} className="ml-auto text-sm font-medium text-slate-600 dark:text-slate-400 hover:underline">
          Application settings
        </Link>
      </div>
      <nav aria-label="Environments" className="flex flex-wrap gap-2 text-sm">
        {environments.map((e) => (
          <Link
            key={e.id}
            href={
              section === "overview"
                ? overviewHref(base, e.name)
                : `${base}/environment/${encodeURIComponent(e.name)}/${SECTIONS.find((s) => s.id === section)?.sub}`
            }
            aria-current={e.id === current.id ? "page" : undefined}
            title={`${e.name}: ${e.status.label}`}
            className="group inline-flex items-center gap-2 rounded-full px-3 py-1 ring-1 ring-inset ring-slate-200 dark:ring-slate-700 hover:bg-slate-100 dark:hover:bg-slate-800 aria-[current=page]:bg-indigo-600 aria-[current=page]:text-white aria-[current=page]:ring-indigo-600"
          >
            {e.name}
            <span
              aria-hidden
              className={`h-2 w-2 rounded-full ${e.status.status === "live" ? "bg-emerald-500" : e.status.live > 0 ? "bg-amber-400" : "bg-slate-300 dark:bg-slate-600"}`}
            />
          </Link>
        ))}
      </nav>
      <nav aria-label={`${current.name} sections`} className="flex gap-1 overflow-x-auto border-b border-slate-200 dark:border-slate-700">
        {SECTIONS.filter((s) => canEdit || s.id !== "edit").map((s) => (
          <Link
            key={s.id}
            href={s.id === "overview" ? overviewHref(base, current.name) : `${envBase}/${s.sub}`}
            aria-current={s.id === section ? "page" : undefined}
            className="whitespace-nowrap border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 dark:text-slate-400 hover:text-slate-900 dark:hover:text-slate-100 aria-[current=page]:border-indigo-600 aria-[current=page]:text-indigo-700 dark:aria-[current=page]:text-indigo-300"
          >
            {s.label}
          </Link>
        ))}
      </nav>
    </div>
  );
}
