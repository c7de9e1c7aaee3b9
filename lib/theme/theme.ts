// The console's colour theme (docs/architecture.md "Themes and accessibility"): "system" follows the operating
// system's `prefers-color-scheme`, "light" and "dark" override it for this browser. The choice lives in
// localStorage; the `dark` class on <html> is what Tailwind's `dark:` variant (app/globals.css) keys on.

/** The three choices of the header's theme toggle, in the order a click cycles through them. */
export const THEMES = ["system", "light", "dark"] as const;

/** One of THEMES. */
export type Theme = (typeof THEMES)[number];

/** The localStorage key holding the chosen Theme (absent: "system"). */
export const THEME_STORAGE_KEY = "theme";

/**
 * The inline script the root layout puts in <head>: sets or clears the `dark` class on <html> before the first
 * paint (no light flash on a dark system), and again whenever the system preference changes while the choice is
 * "system". Plain ES5, no imports; it reads localStorage inside try/catch (storage can be blocked), falling back to
 * the system preference.
 */
export const THEME_INIT_SCRIPT = `(function(){var m=matchMedia("(prefers-color-scheme: dark)");function a(){var t;try{t=localStorage.getItem(${JSON.stringify(
  THEME_STORAGE_KEY,
)})}catch(e){}document.documentElement.classList.toggle("dark",t==="dark"||(t!=="light"&&m.matches))}a();m.addEventListener("change",a);addEventListener("storage",a)})()`;
