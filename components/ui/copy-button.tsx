"use client";

import { useState } from "react";

/** A small button that copies `value` to the clipboard and says so for two seconds. */
export function CopyButton({ value, label = "Copy" }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      aria-label={`${label}: ${value}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
        } catch {
          // Clipboard unavailable (insecure context): select-and-copy by hand still works on the shown value.
        }
        setCopied(true);
        setTimeout(() => setCopied(false), 2000);
      }}
      className="shrink-0 rounded px-2 py-1 text-xs font-medium text-indigo-700 dark:text-indigo-300 ring-1 ring-inset ring-indigo-200 dark:ring-indigo-900 hover:bg-indigo-50 dark:hover:bg-indigo-950/40"
    >
      {copied ? "Copied" : label}
    </button>
  );
}
