import clsx from "@/components/ui/clsx";
import { CopyButton } from "@/components/ui/copy-button";
import type { EdgePanelData, ServingTone } from "./edge-serving-data";

const TONE: Record<ServingTone, string> = {
  ok: "bg-emerald-50 text-emerald-900 ring-emerald-200",
  partial: "bg-amber-50 text-amber-900 ring-amber-200",
  failed: "bg-red-50 text-red-900 ring-red-200",
  idle: "bg-slate-50 text-slate-700 ring-slate-200",
};

const DOT: Record<ServingTone, string> = { ok: "bg-emerald-500", partial: "bg-amber-400", failed: "bg-red-500", idle: "bg-slate-300" };

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
              className="inline-flex items-center gap-2 rounded-full bg-white px-3 py-1 ring-1 ring-inset ring-slate-200"
            >
              <span className="font-mono font-semibold text-slate-800">{m.image}</span>
              <span className="text-slate-500">{m.edge ?? "not reported by the edge yet"}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {data.secret ? (
        <div className="space-y-1 rounded-lg bg-white px-4 py-3 ring-1 ring-slate-200" data-testid="edge-secret">
          <div className="flex flex-wrap items-center gap-2">
            <span className="text-sm font-semibold text-slate-800">X-Edge-Secret</span>
            <code className="min-w-0 flex-1 break-all rounded bg-slate-100 px-2 py-1 text-xs">{data.secret}</code>
            <CopyButton value={data.secret} label="Copy secret" />
          </div>
          <p className="text-xs text-slate-600">
            The edge sends this header with every request to your origin. Your origin can refuse requests that do not carry this header.
          </p>
        </div>
      ) : null}
    </section>
  );
}
