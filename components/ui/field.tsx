import clsx from "@/components/ui/clsx";

type FieldProps = React.InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  error?: string | string[];
  hint?: React.ReactNode;
};

/** A labelled input with its hint and its error message right under it (linked by `aria-describedby`). */
export function Field({ label, name, error, hint, id, className, ...input }: FieldProps) {
  const fieldId = id ?? `field-${name}`;
  const message = Array.isArray(error) ? error[0] : error;
  const described = [hint ? `${fieldId}-hint` : null, message ? `${fieldId}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={clsx("space-y-1", className)}>
      <label htmlFor={fieldId} className="block text-sm font-medium text-slate-800 dark:text-slate-200">
        {label}
      </label>
      <input
        id={fieldId}
        name={name}
        aria-invalid={message ? true : undefined}
        aria-describedby={described || undefined}
        className={clsx(
          "block w-full rounded-md border-0 bg-white dark:bg-slate-900 px-3 py-2 text-sm text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset placeholder:text-slate-400 dark:placeholder:text-slate-500 focus:ring-2 focus:ring-inset focus:ring-indigo-600",
          message ? "ring-red-400" : "ring-slate-300 dark:ring-slate-600",
        )}
        {...input}
      />
      {hint ? (
        <p id={`${fieldId}-hint`} className="text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      ) : null}
      {message ? (
        <p id={`${fieldId}-error`} className="text-sm text-red-600 dark:text-red-400">
          {message}
        </p>
      ) : null}
    </div>
  );
}

/** A message box for the whole form (not tied to one field). */
export function FormMessage({ tone = "error", children }: { tone?: "error" | "info" | "warning" | "success"; children: React.ReactNode }) {
  const tones = {
    error: "bg-red-50 dark:bg-red-950/40 text-red-800 dark:text-red-200 ring-red-200 dark:ring-red-900",
    info: "bg-sky-50 dark:bg-sky-950/40 text-sky-900 dark:text-sky-100 ring-sky-200 dark:ring-sky-900",
    warning: "bg-amber-50 dark:bg-amber-950/40 text-amber-900 dark:text-amber-100 ring-amber-200 dark:ring-amber-900",
    success: "bg-emerald-50 dark:bg-emerald-950/40 text-emerald-900 dark:text-emerald-100 ring-emerald-200 dark:ring-emerald-900",
  } as const;
  return (
    <div role={tone === "error" ? "alert" : "status"} className={clsx("rounded-md px-3 py-2 text-sm ring-1 ring-inset", tones[tone])}>
      {children}
    </div>
  );
}
