import type { Metadata } from "next";
import Link from "next/link";
import { formatUtc } from "@/components/ui/format";
import { TrafficCharts, type ChartSeries } from "@/components/traffic/traffic-charts";
import { formatBytes } from "@/lib/traffic/format";
import { parseId } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { listEnvironmentOverviews } from "@/lib/domains/listing";
import { environmentPath, requireEnvironment } from "@/lib/environments/access";
import { recentRequests, totalOf } from "@/lib/traffic/query";
import { TRAFFIC_RANGES, trafficView } from "@/lib/traffic/view";
import { EnvironmentHeader } from "../../../_components/environment-header";
import { errorAlertOf } from "@/lib/traffic/scheduler";
import { ErrorAlertForm } from "./alert-form";

export const metadata: Metadata = { title: "Traffic" };

const percent = (v: number | null, digits = 1) => (v === null ? "—" : `${(v * 100).toFixed(digits)} %`);

/**
 * The environment's traffic over all edge nodes (docs/traffic.md "Pages"): totals and charts (requests, 5xx rate,
 * cache hit ratio, bandwidth, p95) for 1 hour, 24 hours or 7 days with every environment of the application side by
 * side, and the last requests with a search by request id. Any member of the account; read from the rollup rows only.
 */
export default async function TrafficPage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string; appId: string; envName: string }>;
  searchParams: Promise<{ range?: string; rid?: string }>;
}) {
  const { accountId, appId, envName } = await params;
  const query = await searchParams;
  const { application, environment, account, role } = await requireEnvironment(parseId(accountId), parseId(appId), envName);
  const environments = await listEnvironmentOverviews({ applicationId: application.id });
  // This environment first, then the others, side by side.
  const ordered = [...environments].sort((a, b) =>
    a.id === environment.id ? -1 : b.id === environment.id ? 1 : a.name.localeCompare(b.name),
  );
  const {
    key: rangeKey,
    range,
    series: byId,
  } = await trafficView(
    ordered.map((e) => e.id),
    query.range ?? "1h",
  );
  const series: ChartSeries[] = ordered.map((e) => ({
    name: e.name,
    points: (byId.get(e.id) ?? []).map((p) => ({
      at: p.at,
      requests: p.requests,
      errorRate: p.errorRate,
      hitRatio: p.hitRatio,
      bytesOut: p.bytesOut,
      p95Ms: p.p95Ms,
    })),
  }));
  const totals = totalOf(byId.get(environment.id) ?? []);
  const rid = typeof query.rid === "string" ? query.rid.slice(0, 128) : "";
  const recent = await recentRequests(environment.id, rid || undefined);
  const base = environmentPath(environment, "/traffic");
  const canAlert = can(role, "alerts.receive");
  const alertThreshold = canAlert ? await errorAlertOf(environment.id) : null;

  return (
    <div className="space-y-6">
      <EnvironmentHeader
        account={account}
        application={application}
        environments={environments}
        current={environment}
        section="traffic"
        canEdit={can(role, "config.edit")}
      />
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="text-slate-600 dark:text-slate-400">Range:</span>
        {Object.entries(TRAFFIC_RANGES).map(([key, r]) => (
          <Link
            key={key}
            href={`${base}?range=${key}`}
            aria-current={key === rangeKey ? "page" : undefined}
            className="rounded-full px-3 py-1 ring-1 ring-inset ring-slate-200 dark:ring-slate-700 hover:bg-slate-100 dark:hover:bg-slate-800 aria-[current=page]:bg-indigo-600 aria-[current=page]:text-white"
          >
            {r.label}
          </Link>
        ))}
        <span className="ml-auto text-slate-500 dark:text-slate-400">
          UTC, one point per {range.step}, all edge nodes. Also in the API: <code>…/environment/{environment.name}/metrics</code>
        </span>
      </div>
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-5" aria-label={`${environment.name} totals, last ${range.label}`}>
        {[
          ["Requests", totals.requests.toLocaleString("en-US")],
          ["Error rate (5xx)", percent(totals.errorRate, 2)],
          ["Cache hit ratio", percent(totals.hitRatio)],
          ["Bandwidth (sent)", formatBytes(totals.bytesOut)],
          ["p95 latency", totals.p95Ms === null ? "—" : `≤ ${totals.p95Ms} ms`],
        ].map(([k, v]) => (
          <div key={k} className="rounded-lg border border-slate-200 dark:border-slate-700 p-3">
            <dt className="text-xs text-slate-500 dark:text-slate-400">{k}</dt>
            <dd className="text-lg font-semibold" data-testid={`total-${k}`}>
              {v}
            </dd>
          </div>
        ))}
      </dl>
      {canAlert ? <ErrorAlertForm environmentId={environment.id} threshold={alertThreshold} /> : null}
      <TrafficCharts series={series} hourly={range.step === "hour"} />
      <section className="space-y-3" aria-labelledby="recent-requests">
        <div className="flex flex-wrap items-end gap-3">
          <h2 id="recent-requests" className="text-lg font-semibold">
            Recent requests
          </h2>
          <form method="get" action={base} className="ml-auto flex gap-2 text-sm">
            <input type="hidden" name="range" value={rangeKey} />
            <label className="sr-only" htmlFor="rid">
              Request id
            </label>
            <input
              id="rid"
              name="rid"
              defaultValue={rid}
              placeholder="Request id (X-Request-Id)"
              className="w-72 rounded-md border border-slate-300 dark:border-slate-600 px-2 py-1"
            />
            <button type="submit" className="rounded-md bg-slate-800 dark:bg-slate-700 px-3 py-1 font-medium text-white">
              Search
            </button>
          </form>
        </div>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          The last 100 requests over all nodes. Query values, bodies and cookies are never recorded: only the query&apos;s keys.
        </p>
        {recent.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {rid ? `No recent request has an id starting with “${rid}”.` : "No requests yet."}
          </p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-slate-500 dark:text-slate-400">
                <tr>
                  <th className="py-1 pr-3">Time</th>
                  <th className="py-1 pr-3">Method</th>
                  <th className="py-1 pr-3">Path</th>
                  <th className="py-1 pr-3">Status</th>
                  <th className="py-1 pr-3">Cache</th>
                  <th className="py-1 pr-3">Duration</th>
                  <th className="py-1 pr-3">Request id</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((r, i) => (
                  <tr key={`${r.requestId}-${i}`} className="border-t border-slate-100 dark:border-slate-800">
                    <td className="py-1 pr-3 whitespace-nowrap">{formatUtc(new Date(r.at))}</td>
                    <td className="py-1 pr-3">{r.method}</td>
                    <td className="py-1 pr-3 break-all font-mono text-xs">{r.path}</td>
                    <td className="py-1 pr-3">{r.status}</td>
                    <td className="py-1 pr-3">{r.cache ?? "—"}</td>
                    <td className="py-1 pr-3">{r.durationMs} ms</td>
                    <td className="py-1 pr-3 font-mono text-xs">{r.requestId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
