import Link from "next/link";

/** 404: also what non-members see for an account's resources (ids cannot be probed). */
export default function NotFound() {
  return (
    <main className="mx-auto max-w-md px-4 py-24 text-center">
      <p className="text-sm font-semibold text-indigo-700 dark:text-indigo-300">404</p>
      <h1 className="mt-2 text-2xl font-semibold">Page not found</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">This page does not exist, or you do not have access to it.</p>
      <Link href="/" className="mt-6 inline-block font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
        Back to the console
      </Link>
    </main>
  );
}
