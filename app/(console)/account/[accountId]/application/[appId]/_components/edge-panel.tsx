import clsx from "@/components/ui/clsx";
import { CopyButton } from "@/components/ui/copy-button";
import type { EdgePanelData, ServingTone } from "./edge-serving-data";

const TONE: Record<ServingTone, string> = {
  ok: "bg-emerald-50 dark:bg-emerald-950/40 text-emerald-900 dark:text-emerald-100 ring-emerald-200 dark:ring-emerald-900",
  partial: "bg-amber-50 dark:bg-amber-950/40 text-amber-900 dark:text-amber-100 ring-amber-200 dark:ring-amber-900",
  failed: "bg-red-50 dark:bg-red-950/40 text-red-900 dark:text-red-100 ring-red-200 dark:ring-red-900",
  idle: "bg-slate-50 dark:bg-slate-800/50 text-slate-700 dark:text-slate-300 ring-slate-200 dark:ring-slate-700",
};

const DOT: Record<ServingTone, string> = {
  ok: "bg-emerald-500",
  partial: "bg-amber-400",
  failed: "bg-red-500",
  idle: "bg-slate-300 dark:bg-slate-600",
};

/**
 * The edge, as an environment's page shows it (docs/product.md §8): what the edge serves (one line), the version each
 * module of the proxy chain runs on the edge beside the catalog's label, and, for owners and admins, the
 * environment's X-Edge-Secret with a copy button.
 */
export function EdgePanel({ data }: { data: EdgePanelData }) {
  return (
    <section aria-labelledby="edge-heading" className="space-y-3">
      <h2 id="edge-heading" className="sr-only">
        Edge
      </h2>
      <p
        data-testid="edge-serving"
        data-tone={data.serving.tone}
        className={clsx("flex items-start gap-2 rounded-lg px-4 py-2.5 text-sm ring-1 ring-inset", TONE[data.serving.tone])}
      >
        <span aria-hidden className={clsx("mt-1.5 h-2 w-2 shrink-0 rounded-full", DOT[data.serving.tone])} />
        <span className="min-w-0 [overflow-wrap:anywhere]">{data.serving.text}</span>
      </p>
      {data.modules.length ? (
        <ul aria-label="Proxy chain" className="flex flex-wrap gap-2 text-xs">
          {data.modules.map((m, i) => (
            <li
              key={`${m.name}-${i}`}
              className="inline-flex items-center gap-2 rounded-full bg-white dark:bg-slate-900 px-3 py-1 ring-1 ring-inset ring-slate-200 dark:ring-slate-700"
            >
              <span className="font-mono font-semibold text-slate-800 dark:text-slate-200">{m.image}</span>
              <span className="text-slate-500 dark:text-slate-400">{m.edge ?? "not reported by the edge yet"}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {data.secret ? (
        <div
          className="space-y-1 rounded-lg bg-white dark:bg-slate-900 px-4 py-3 ring-1 ring-slate-200 dark:ring-slate-700"
          data-testid="edge-secret"
        >
          <div className="flex flex-wrap items-center gap-2">
            <span className="text-sm font-semibold text-slate-800 dark:text-slate-200">X-Edge-Secret</span>
            <code className="min-w-0 flex-1 break-all rounded bg-slate-100 dark:bg-slate-800 px-2 py-1 text-xs">{data.secret}</code>
            <CopyButton value={data.secret} label="Copy secret" />
          </div>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            The edge sends this header with every request to your origin. Your origin can refuse requests that do not carry this header.
          </p>
        </div>
      ) : null}
    </section>
  );
}
