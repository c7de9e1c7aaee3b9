import clsx from "@/components/ui/clsx";

type SelectFieldProps = React.SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  name: string;
  options: { value: string; label: string }[];
  error?: string;
  hint?: React.ReactNode;
  /** Keeps the label for screen readers and tests only (e.g. in a table row). */
  hideLabel?: boolean;
};

/** A labelled `<select>` with its hint and its error message right under it (linked by `aria-describedby`). */
export function SelectField({ label, name, options, error, hint, hideLabel, id, className, ...select }: SelectFieldProps) {
  const fieldId = id ?? `field-${name}`;
  const described = [hint ? `${fieldId}-hint` : null, error ? `${fieldId}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={clsx("space-y-1", className)}>
      <label htmlFor={fieldId} className={hideLabel ? "sr-only" : "block text-sm font-medium text-slate-800 dark:text-slate-200"}>
        {label}
      </label>
      <select
        id={fieldId}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
        className={clsx(
          "block w-full rounded-md border-0 bg-white dark:bg-slate-900 py-2 pl-3 pr-8 text-sm text-slate-900 dark:text-slate-100 shadow-sm ring-1 ring-inset focus:ring-2 focus:ring-inset focus:ring-indigo-600",
          error ? "ring-red-400" : "ring-slate-300 dark:ring-slate-600",
        )}
        {...select}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint ? (
        <p id={`${fieldId}-hint`} className="text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${fieldId}-error`} className="text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </div>
  );
}
