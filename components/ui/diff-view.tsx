import clsx from "@/components/ui/clsx";

/** How one line of git's unified diff is shown. */
function lineClass(line: string): string {
  if (line.startsWith("diff --git"))
    return "mt-3 border-t border-slate-700 pt-2 font-semibold text-white first:mt-0 first:border-0 first:pt-0";
  if (/^(index |--- |\+\+\+ |new file|deleted file|similarity|rename |old mode|new mode|Binary files)/.test(line)) return "text-slate-400";
  if (line.startsWith("@@")) return "text-sky-300";
  if (line.startsWith("+")) return "bg-emerald-950/70 text-emerald-200";
  if (line.startsWith("-")) return "bg-rose-950/70 text-rose-200";
  if (line.startsWith("\\")) return "text-slate-500 italic";
  return "text-slate-200";
}

/**
 * A unified diff exactly as git printed it, one line per row, additions green and removals red. `files` (the
 * paths it touches) is listed above it; an empty diff says "No differences."; `truncated` says the rest was cut.
 */
export function DiffView({ diff, label }: { diff: { text: string; truncated: boolean; files: string[] }; label: string }) {
  if (diff.text.trim() === "") return <p className="text-sm text-slate-600 dark:text-slate-400">No differences.</p>;
  const lines = diff.text.replace(/\n$/, "").split("\n");
  return (
    <figure className="space-y-2">
      <figcaption className="text-xs text-slate-600 dark:text-slate-400">
        {diff.files.length} file{diff.files.length === 1 ? "" : "s"} changed: <span className="font-mono">{diff.files.join(", ")}</span>
      </figcaption>
      <pre
        aria-label={label}
        tabIndex={0}
        className="max-h-[32rem] overflow-auto rounded-lg bg-slate-900 dark:bg-slate-950 dark:ring-1 dark:ring-slate-800 p-3 text-xs leading-relaxed"
      >
        {lines.map((line, i) => (
          <div
            key={i}
            data-diff={
              line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : undefined
            }
            className={clsx("whitespace-pre px-1", lineClass(line))}
          >
            {line || " "}
          </div>
        ))}
      </pre>
      {diff.truncated ? (
        <p className="text-xs text-amber-800 dark:text-amber-200">
          The diff is too long to show in full; fetch the repository to see the rest.
        </p>
      ) : null}
    </figure>
  );
}
