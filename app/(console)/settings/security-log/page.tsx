import type { Metadata } from "next";
import Link from "next/link";
import { describeUserAgent } from "@/lib/auth/device";
import { requireUser } from "@/lib/auth/session";
import { securityEventDetails, securityEventLabel } from "@/lib/security-log/describe";
import { listSecurityEvents, parseSecurityLogCursor } from "@/lib/security-log/list";
import { formatUtc } from "@/components/ui/format";

export const metadata: Metadata = { title: "Security log" };

const FAILURES = new Set(["signin.failure", "signin.rate-limited", "signin.two-factor-failure", "reauth.failure"]);

/**
 * The signed-in user's own security log (docs/product.md §3.2), newest first, 50 per page (keyset: `?before=<ms>.<id>`).
 * There is no user id in the URL: the page only ever reads the signed-in user's rows.
 */
export default async function SecurityLogPage({ searchParams }: { searchParams: Promise<{ before?: string | string[] }> }) {
  const user = await requireUser("/settings/security-log");
  const before = parseSecurityLogCursor((await searchParams).before);
  const { rows, next } = await listSecurityEvents({ userId: user.id, before });
  return (
    <div className="max-w-4xl space-y-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Security log</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Sign-ins, failed sign-ins and changes to your login ({user.email}): password, email, two-factor, API tokens and sessions. Times
          are UTC.
        </p>
      </div>
      {rows.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{before ? "No older events." : "Nothing recorded yet."}</p>
      ) : (
        <ol
          aria-label="Security events"
          className="divide-y divide-slate-200 dark:divide-slate-700 rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700"
        >
          {rows.map((row) => {
            const details = securityEventDetails(row.kind, row.data);
            return (
              <li
                key={row.id}
                data-testid="security-event"
                data-kind={row.kind}
                className="grid gap-1 px-4 py-3 sm:grid-cols-[10.5rem_minmax(0,1fr)] sm:gap-4"
              >
                <time dateTime={row.createdAt.toISOString()} className="text-xs text-slate-500 dark:text-slate-400 sm:pt-0.5">
                  {formatUtc(row.createdAt)}
                </time>
                <div className="min-w-0 space-y-0.5">
                  <p
                    className={`text-sm font-medium ${FAILURES.has(row.kind) ? "text-red-700 dark:text-red-300" : "text-slate-900 dark:text-slate-100"}`}
                  >
                    {securityEventLabel(row.kind)}
                  </p>
                  {details ? <p className="break-words text-sm text-slate-700 dark:text-slate-300">{details}</p> : null}
                  <p className="text-xs text-slate-500 dark:text-slate-400">
                    {row.userAgent || row.ip ? `${describeUserAgent(row.userAgent)} · IP ${row.ip ?? "unknown"}` : "No request details"}
                  </p>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      <nav aria-label="Pages" className="flex gap-4 text-sm">
        {before ? (
          <Link href="/settings/security-log" className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Newest
          </Link>
        ) : null}
        {next ? (
          <Link href={`/settings/security-log?before=${next}`} className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Older events →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
