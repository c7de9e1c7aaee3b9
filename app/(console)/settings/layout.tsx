import { requireUser } from "@/lib/auth/session";
import { SettingsNav } from "./_components/settings-nav";

/** The user's own settings (docs/product.md §3.1): sub-navigation beside (or above, on phones) each settings page. */
export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  await requireUser("/settings");
  return (
    <div className="md:grid md:grid-cols-[11rem_minmax(0,1fr)] md:gap-8">
      <aside className="mb-6 md:mb-0">
        <p className="mb-2 hidden px-3 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400 md:block">
          Your settings
        </p>
        <SettingsNav />
      </aside>
      <div className="min-w-0">{children}</div>
    </div>
  );
}
