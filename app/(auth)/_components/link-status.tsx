import Link from "next/link";

/** Why a mailed link (verification, password reset) did not work: its own heading, one explanation, one way on. */
export type LinkProblem = "expired" | "used" | "unknown" | "email-changed";

type LinkTo = { href: string; label: string };
type Props = { title: string; children: React.ReactNode; next: LinkTo; secondary?: LinkTo; tone?: "success" | "problem" };

/** A result page for a mailed link: heading, explanation and one link onwards. */
export function LinkStatus({ title, children, next, secondary, tone = "problem" }: Props) {
  return (
    <div className="space-y-4" data-testid="link-status">
      <div
        aria-hidden
        className={`flex h-10 w-10 items-center justify-center rounded-full text-lg font-bold ${tone === "success" ? "bg-emerald-100 dark:bg-emerald-900/40 text-emerald-700 dark:text-emerald-300" : "bg-amber-100 dark:bg-amber-900/40 text-amber-700 dark:text-amber-300"}`}
      >
        {tone === "success" ? "✓" : "!"}
      </div>
      <h1 className="text-xl font-semibold">{title}</h1>
      <div className="space-y-2 text-sm text-slate-700 dark:text-slate-300">{children}</div>
      <Link
        href={next.href}
        className="inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
      >
        {next.label}
      </Link>
      {secondary ? (
        <p className="text-center text-sm">
          <Link className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline" href={secondary.href}>
            {secondary.label}
          </Link>
        </p>
      ) : null}
    </div>
  );
}
