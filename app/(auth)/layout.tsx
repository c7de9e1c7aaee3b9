import { ThemeToggle } from "@/components/theme-toggle";

/** Pages for signed-out visitors: a centred card, the theme toggle in the corner. */
export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="relative flex min-h-screen items-center justify-center px-4 py-12">
      <ThemeToggle className="absolute top-3 right-4" />
      <div className="w-full max-w-sm">
        <p className="mb-6 text-center text-lg font-semibold tracking-tight text-indigo-700 dark:text-indigo-300">Edge Console</p>
        <div className="rounded-xl bg-white dark:bg-slate-900 p-6 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700">{children}</div>
      </div>
    </main>
  );
}
