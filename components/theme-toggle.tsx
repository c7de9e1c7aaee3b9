"use client";

import { useSyncExternalStore } from "react";
import { THEMES, THEME_STORAGE_KEY, type Theme } from "@/lib/theme/theme";

const LABELS: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };

// 20×20 outline icons (stroke = currentColor): a monitor, a sun, a moon.
const ICONS: Record<Theme, React.ReactNode> = {
  system: <path d="M3 4h14v9H3zM7 17h6M10 13v4" />,
  light: (
    <path d="M10 6.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7zM10 1.5v2M10 16.5v2M1.5 10h2M16.5 10h2M4 4l1.4 1.4M14.6 14.6 16 16M4 16l1.4-1.4M14.6 5.4 16 4" />
  ),
  dark: <path d="M16.5 12.5A7 7 0 0 1 7.5 3.5a7 7 0 1 0 9 9z" />,
};

const listeners = new Set<() => void>();

/** Subscribes to the stored choice: this tab's clicks and other tabs' (the `storage` event). */
function subscribe(onChange: () => void) {
  listeners.add(onChange);
  addEventListener("storage", onChange);
  return () => {
    listeners.delete(onChange);
    removeEventListener("storage", onChange);
  };
}

/** The stored choice; "system" when none (or storage is blocked). */
function stored(): Theme {
  try {
    const value = localStorage.getItem(THEME_STORAGE_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

/** Stores `theme` ("system" removes the key) and sets the `dark` class on <html> as the <head> script does. */
function choose(theme: Theme) {
  try {
    if (theme === "system") localStorage.removeItem(THEME_STORAGE_KEY);
    else localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Storage blocked: the choice holds for this page only.
  }
  const dark = theme === "dark" || (theme === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
  listeners.forEach((l) => l());
}

/**
 * The header's theme button: shows the current choice (System, Light or Dark) and cycles to the next on a click.
 * The server renders "System" (it cannot read localStorage); the browser then shows the stored choice.
 */
export function ThemeToggle({ className }: { className?: string }) {
  const theme = useSyncExternalStore(subscribe, stored, () => "system" as Theme);
  const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  return (
    <button
      type="button"
      onClick={() => choose(next)}
      title={`Theme: ${LABELS[theme]}. Switch to ${LABELS[next].toLowerCase()}.`}
      aria-label={`Theme: ${LABELS[theme]}`}
      data-theme-choice={theme}
      className={`inline-flex items-center gap-1.5 rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800 ${className ?? ""}`}
    >
      <svg
        viewBox="0 0 20 20"
        width="16"
        height="16"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinecap="round"
        aria-hidden="true"
      >
        {ICONS[theme]}
      </svg>
      <span className="hidden sm:inline">{LABELS[theme]}</span>
    </button>
  );
}
