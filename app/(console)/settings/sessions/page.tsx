import type { Metadata } from "next";
import { describeUserAgent } from "@/lib/auth/device";
import { getCurrentSessionKey, requireUser } from "@/lib/auth/session";
import { listActiveSessions } from "@/lib/auth/sessions";
import { formatUtc } from "@/components/ui/format";
import { pinCurrentSession } from "@/lib/user-settings/session-order";
import { RevokeSessionButton, SignOutEverywhereButton } from "./_components/session-buttons";

export const metadata: Metadata = { title: "Sessions" };

/**
 * The signed-in user's active sessions (docs/product.md §3.1): device and browser, IP address, signed in, last seen; this
 * browser marked and listed first; sign out one, or everywhere else.
 */
export default async function SessionsPage() {
  const user = await requireUser("/settings/sessions");
  const currentKey = await getCurrentSessionKey();
  const sessions = pinCurrentSession(await listActiveSessions({ userId: user.id }), currentKey);
  const others = sessions.filter((s) => s.sessionKey !== currentKey).length;
  return (
    <div className="max-w-3xl space-y-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Sessions</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Browsers signed in as {user.email}. Sign out any you do not recognise, then change your password.
        </p>
      </div>

      <ul
        aria-label="Active sessions"
        className="divide-y divide-slate-200 dark:divide-slate-700 rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700"
      >
        {sessions.map((s) => {
          const device = describeUserAgent(s.userAgent);
          const current = s.sessionKey === currentKey;
          return (
            <li
              key={s.id}
              data-testid="session"
              data-current={current ? "true" : undefined}
              className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3"
            >
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-900 dark:text-slate-100">
                  {device}{" "}
                  {current ? (
                    <span className="ml-1 rounded-full bg-indigo-50 dark:bg-indigo-950/40 px-2 py-0.5 text-xs font-medium text-indigo-700 dark:text-indigo-300 ring-1 ring-indigo-200 dark:ring-indigo-900">
                      This browser
                    </span>
                  ) : null}
                </p>
                <p className="text-xs text-slate-500 dark:text-slate-400">
                  <span>IP {s.ip ?? "unknown"}</span> · <span>signed in {formatUtc(s.createdAt, { seconds: false })}</span> ·{" "}
                  <span>last seen {formatUtc(s.lastSeenAt, { seconds: false })}</span>
                </p>
              </div>
              {current ? null : <RevokeSessionButton sessionId={s.id} device={device} />}
            </li>
          );
        })}
      </ul>

      <section
        aria-labelledby="everywhere-heading"
        className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
      >
        <h2 id="everywhere-heading" className="text-lg font-semibold">
          Sign out everywhere
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Ends every session except this browser’s, at once: each of them is asked to sign in again on its next request.
        </p>
        <SignOutEverywhereButton others={others} />
      </section>
    </div>
  );
}
