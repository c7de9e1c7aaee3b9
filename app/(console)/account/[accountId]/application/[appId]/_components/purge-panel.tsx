import { formatUtc } from "@/components/ui/format";
import { environmentHasVarnish, recentPurges, type PurgeStatus } from "@/lib/purge/store";
import { BanForm, PurgeForm } from "./purge-forms";

const KIND_LABELS: Record<PurgeStatus["kind"], string> = {
  all: "Everything",
  prefix: "Prefix",
  url: "URL",
  expression: "Expression",
};

/**
 * The environment's Purge section (docs/product.md §10 "Purge"), only on chains with varnish: the forms the role
 * allows (everything, a prefix or one URL for developers and up; a ban expression for owners and admins) and the
 * last 10 purges with, per edge node, when it took effect (or why not, or that it is still pending).
 */
export async function PurgePanel({
  environment,
  repoDir,
  canPurge,
  canBan,
}: {
  environment: { id: number; name: string };
  repoDir: string;
  canPurge: boolean;
  canBan: boolean;
}) {
  if (!(await environmentHasVarnish(repoDir, environment.name))) return null;
  const recent = await recentPurges(environment.id, 10);
  return (
    <section aria-labelledby="purge-heading" className="space-y-3" data-testid="purge-panel">
      <h2 id="purge-heading" className="text-lg font-semibold">
        Purge <span className="text-sm font-normal text-slate-500 dark:text-slate-400">({environment.name})</span>
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Removes cached responses of this environment on every edge node; other environments keep theirs.
      </p>
      {canPurge ? <PurgeForm environmentId={environment.id} /> : null}
      {canBan ? <BanForm environmentId={environment.id} /> : null}
      {recent.length ? (
        <table className="w-full text-left text-sm" data-testid="purge-list">
          <caption className="sr-only">Recent purges and when each edge node applied them</caption>
          <thead className="text-xs text-slate-500 dark:text-slate-400">
            <tr>
              <th className="py-1 pr-3 font-medium">Sent</th>
              <th className="py-1 pr-3 font-medium">What</th>
              <th className="py-1 pr-3 font-medium">By</th>
              <th className="py-1 font-medium">Edge nodes</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((p) => (
              <tr key={p.id} className="border-t border-slate-100 dark:border-slate-800 align-top">
                <td className="py-1.5 pr-3 whitespace-nowrap">{formatUtc(p.createdAt)}</td>
                <td className="py-1.5 pr-3">
                  {KIND_LABELS[p.kind]}
                  {p.input ? <code className="ml-1 break-all">{p.input}</code> : null}
                </td>
                <td className="py-1.5 pr-3">{p.createdBy ?? "—"}</td>
                <td className="py-1.5">
                  {p.nodes.length === 0 ? (
                    <span className="text-slate-500 dark:text-slate-400">no active node</span>
                  ) : (
                    <ul>
                      {p.nodes.map((n) => (
                        <li key={n.node} data-state={n.state}>
                          {n.node}:{" "}
                          {n.state === "applied" && n.appliedAt
                            ? `applied ${formatUtc(n.appliedAt)} (${((n.appliedAt.getTime() - p.createdAt.getTime()) / 1000).toFixed(1)} s)`
                            : n.state === "failed"
                              ? `failed: ${n.error}`
                              : "pending"}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
