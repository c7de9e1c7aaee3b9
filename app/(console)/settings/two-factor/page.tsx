import type { Metadata } from "next";
import Link from "next/link";
import { requireUser } from "@/lib/auth/session";
import { toId } from "@/lib/auth/access";
import { blocksUser } from "@/lib/two-factor/requirement";
import { listAccountsOfUser } from "@/lib/accounts/queries";
import { FormMessage } from "@/components/ui/field";
import { formatUtc } from "@/components/ui/format";
import { recoveryCodesLeft } from "@/lib/two-factor/codes";
import { pendingEnrolment } from "@/lib/two-factor/enrolment";
import { DisableForm, EnrolmentPanel, RegenerateCodesForm, StartEnrolmentForm } from "./_components/two-factor-forms";

export const metadata: Metadata = { title: "Two-factor authentication" };

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  const slug = `tfa-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section
      aria-labelledby={slug}
      className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-5 ring-1 ring-slate-200 dark:ring-slate-700"
    >
      <h2 id={slug} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/**
 * The signed-in user's two-factor authentication (docs/product.md §3.1): status; set-up with a QR code and a key to type,
 * confirmed by a first code; recovery codes (shown once, new ones after a fresh code); turning it off with a fresh
 * code. `?required=<accountId>` comes from an account that requires it (docs/product.md §3.2) and names that account.
 */
export default async function TwoFactorPage({ searchParams }: { searchParams: Promise<{ required?: string }> }) {
  const user = await requireUser("/settings/two-factor");
  const { required } = await searchParams;
  const memberOf = await listAccountsOfUser({ userId: user.id });
  const requiring = memberOf.filter((a) => a.requireTwoFactor);
  const othersOpen = memberOf.some((a) => !blocksUser(a, user));
  const requiredBy = requiring.find((a) => a.id === toId(required));
  const enabled = Boolean(user.totpEnabledAt);
  const pending = await pendingEnrolment(user);
  const codesLeft = enabled ? await recoveryCodesLeft(user.id) : 0;

  return (
    <div className="max-w-3xl space-y-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Two-factor authentication</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          With two-factor authentication on, logging in asks for your password and a 6-digit code from an authenticator app on your phone
          (TOTP, RFC 6238: Google Authenticator, 1Password, Authy, FreeOTP…).
        </p>
      </div>

      {requiredBy && !enabled ? (
        <FormMessage tone="warning">
          The account (organization) <strong>{requiredBy.name}</strong> requires two-factor authentication. Turn it on below to open that
          account.
          {othersOpen ? (
            <>
              {" "}
              Your other accounts stay open:{" "}
              <Link href="/" className="font-medium underline">
                go to the console
              </Link>
              .
            </>
          ) : null}
        </FormMessage>
      ) : null}

      {pending ? null : (
        <Section title="Status">
          {enabled ? (
            <p className="text-sm" data-testid="two-factor-status">
              <span className="mr-2 inline-flex rounded-full bg-emerald-50 dark:bg-emerald-950/40 px-2 py-0.5 text-xs font-semibold text-emerald-800 dark:text-emerald-200 ring-1 ring-emerald-200 dark:ring-emerald-900">
                On
              </span>
              Since {formatUtc(user.totpEnabledAt!, { seconds: false })}. {codesLeft} of 10 recovery codes left.
            </p>
          ) : (
            <p className="text-sm" data-testid="two-factor-status">
              <span className="mr-2 inline-flex rounded-full bg-slate-100 dark:bg-slate-800 px-2 py-0.5 text-xs font-semibold text-slate-700 dark:text-slate-300 ring-1 ring-slate-200 dark:ring-slate-700">
                Off
              </span>
              Logging in asks for your password only.
            </p>
          )}
          {requiring.length > 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Required by: {requiring.map((a) => a.name).join(", ")}.</p>
          ) : null}
          {!enabled ? <StartEnrolmentForm /> : null}
        </Section>
      )}

      {pending ? (
        <Section title="Set up your authenticator app">
          <EnrolmentPanel email={user.email}>
            <li className="space-y-3">
              <p>Scan this QR code with your authenticator app.</p>
              {/* eslint-disable-next-line @next/next/no-img-element -- a server-rendered SVG data URL, not an optimisable image */}
              <img
                src={pending.qrDataUrl}
                alt="QR code to add Edge Console to your authenticator app"
                width={200}
                height={200}
                className="h-50 w-50 rounded-lg ring-1 ring-slate-200 dark:ring-slate-700"
              />
              <p>Cannot scan it? Enter this setup key by hand (time-based, 6 digits):</p>
              <code
                data-testid="manual-key"
                className="block w-fit max-w-full break-all rounded-md bg-slate-50 dark:bg-slate-800/50 px-3 py-2 font-mono text-base tracking-wider text-slate-900 dark:text-slate-100 ring-1 ring-slate-200 dark:ring-slate-700"
              >
                {pending.manualKey}
              </code>
            </li>
          </EnrolmentPanel>
        </Section>
      ) : null}

      {enabled ? (
        <>
          <Section title="Recovery codes">
            <p className="text-sm text-slate-600 dark:text-slate-400">
              If you lose your phone, a recovery code signs you in once instead of a code. You have {codesLeft} unused. Making new ones
              replaces all of them.
            </p>
            <RegenerateCodesForm email={user.email} />
          </Section>
          <Section title="Turn off">
            <DisableForm
              warning={
                requiring.length
                  ? `Without it you can no longer open ${requiring.map((a) => a.name).join(", ")}: ${requiring.length === 1 ? "that account requires" : "those accounts require"} two-factor authentication.`
                  : undefined
              }
            />
          </Section>
        </>
      ) : null}
    </div>
  );
}
