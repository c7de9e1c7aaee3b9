import type { Extension } from "@codemirror/state";

/** The languages the configuration editor highlights; `text` is plain text (modsecurity rules, READMEs…). */
export type EditorLanguage = "json" | "javascript" | "typescript" | "nginx" | "vcl" | "text";

/**
 * The language of a repository file, from its name (docs/architecture.md "The configuration editor"): `.json` JSON;
 * `.js`/`.mjs`/`.cjs` JavaScript, `.ts`/`.mts`/`.cts` TypeScript; `.vcl` VCL; `nginx.conf`, `*.nginx`, and `.conf`
 * files under an `openresty/` or `nginx/` folder nginx; anything else plain text. Pure; `path` is a repository path
 * with `/` separators.
 */
export function languageOf(path: string): EditorLanguage {
  const name = path.toLowerCase();
  const base = name.slice(name.lastIndexOf("/") + 1);
  if (base.endsWith(".json")) return "json";
  if (/\.(?:m|c)?js$/.test(base)) return "javascript";
  if (/\.(?:m|c)?ts$/.test(base)) return "typescript";
  if (base.endsWith(".vcl")) return "vcl";
  if (base === "nginx.conf" || base.endsWith(".nginx")) return "nginx";
  if (base.endsWith(".conf") && /(^|\/)(openresty|nginx)\//.test(name)) return "nginx";
  return "text";
}

/**
 * The CodeMirror extension that parses and highlights `language`, imported on demand so that a JSON file does not
 * download the JavaScript parser (and so on). Rejects only when the chunk cannot be loaded.
 */
export async function loadLanguage(language: EditorLanguage): Promise<Extension> {
  switch (language) {
    case "json":
      return (await import("@codemirror/lang-json")).json();
    case "javascript":
      return (await import("@codemirror/lang-javascript")).javascript();
    case "typescript":
      return (await import("@codemirror/lang-javascript")).javascript({ typescript: true });
    case "nginx": {
      const [{ StreamLanguage }, { nginx }] = await Promise.all([
        import("@codemirror/language"),
        import("@codemirror/legacy-modes/mode/nginx"),
      ]);
      return StreamLanguage.define(nginx);
    }
    case "vcl": {
      const [{ StreamLanguage }, { vcl }] = await Promise.all([import("@codemirror/language"), import("./vcl-mode")]);
      return StreamLanguage.define(vcl);
    }
    default:
      return [];
  }
}
