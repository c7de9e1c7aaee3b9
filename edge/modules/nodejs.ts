import path from "node:path";
import { runTool } from "./tools";
import type { Refusal } from "./types";

// The nodejs driver (docs/product.md §8 "nodejs"): core modules only (a package.json with dependencies is refused;
// nodes never install packages), the entry file checked with `node --check`, run under Node's permission model and,
// on a node, in the agent's sandbox (docs/edge.md "Files and users").

const DEPENDENCY_KEYS = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
  "bundleDependencies",
  "bundledDependencies",
];

/**
 * The entry file of the module (`nodejs/` + package.json `main`, default `index.js`) or a policy refusal: an
 * unreadable package.json, a non-empty dependency list, an entry outside `nodejs/` or missing from the files.
 */
export function nodeEntry(files: Readonly<Record<string, string>>): { ok: true; entry: string } | Refusal {
  const refuse = (message: string): Refusal => ({ ok: false, tool: "policy", message });
  let main = "index.js";
  const pkgText = files["nodejs/package.json"];
  if (pkgText !== undefined) {
    let pkg: unknown;
    try {
      pkg = JSON.parse(pkgText.replace(/^\uFEFF/, ""));
    } catch (err) {
      return refuse(`nodejs/package.json: not valid JSON (${(err as Error).message})`);
    }
    if (!pkg || typeof pkg !== "object" || Array.isArray(pkg)) return refuse("nodejs/package.json: must be a JSON object");
    const record = pkg as Record<string, unknown>;
    for (const key of DEPENDENCY_KEYS) {
      const value = record[key];
      const count = Array.isArray(value) ? value.length : value && typeof value === "object" ? Object.keys(value).length : value ? 1 : 0;
      if (count > 0) {
        return refuse(`nodejs/package.json: "${key}" is not allowed: the edge runs Node's core modules only and never installs packages`);
      }
    }
    if (record.main !== undefined) {
      if (typeof record.main !== "string") return refuse('nodejs/package.json: "main" must be a file name');
      main = record.main;
    }
  }
  const entry = path.posix.normalize(path.posix.join("nodejs", main));
  if (!entry.startsWith("nodejs/") || path.posix.isAbsolute(main))
    return refuse(`nodejs/package.json: "main" must name a file inside the nodejs folder`);
  if (files[entry] === undefined) return refuse(`${entry} is missing: the nodejs module runs it (package.json "main", default index.js)`);
  return { ok: true, entry };
}

/** `node --check` on the rendered entry file; a syntax error is named with its line and column. */
export async function checkNode(absoluteEntry: string, entry: string): Promise<{ ok: true } | Refusal> {
  const run = await runTool("node", ["--check", absoluteEntry], { timeoutMs: 30_000, cwd: path.dirname(absoluteEntry) });
  if (run.code === 0) return { ok: true };
  const lines = run.stderr.split("\n");
  const where = lines.findIndex((l) => l.startsWith(absoluteEntry + ":"));
  const line = where >= 0 ? Number(/:(\d+)$/.exec(lines[where])?.[1]) : NaN;
  const caret = where >= 0 ? lines.slice(where + 1, where + 4).find((l) => /^\s*\^+\s*$/.test(l)) : undefined;
  const error = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.find((l) => l.trim()) ?? "check failed";
  const position = Number.isFinite(line) ? ` (line ${line}${caret ? `, column ${caret.indexOf("^") + 1}` : ""})` : "";
  return { ok: false, tool: "node", message: `${entry}: node refused it: ${error.trim()}${position}` };
}
