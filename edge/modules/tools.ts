import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

// The Debian tools the module drivers run (docs/product.md §8): found on PATH plus the sbin folders, run without a
// shell, with a time limit.

const EXTRA_PATH = ["/usr/sbin", "/usr/local/sbin", "/sbin"];
const found = new Map<string, string | null>();

/** Absolute path of the executable `name` (PATH, then /usr/sbin, /usr/local/sbin, /sbin), or null. Cached per process. */
export function toolPath(name: string): string | null {
  if (found.has(name)) return found.get(name) ?? null;
  let result: string | null = null;
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), ...EXTRA_PATH]) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      result = candidate;
      break;
    } catch {
      // not here
    }
  }
  found.set(name, result);
  return result;
}

/** True when the executable `name` (e.g. `varnishd`, `nginx`, `node`, `haproxy`) is installed. */
export function haveTool(name: string): boolean {
  return toolPath(name) !== null;
}

/** What a tool printed and how it ended (`code` null: killed, e.g. by the time limit). */
export type ToolRun = { code: number | null; stdout: string; stderr: string };

/** Runs `name args…` without a shell (timeout in ms, default 20 000; output capped at 16 MiB). Never rejects for a non-zero exit. */
export function runTool(name: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ToolRun> {
  const file = toolPath(name) ?? name;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && !stdout ? error.message : "")) });
      },
    );
  });
}

let versions: Promise<Record<string, string>> | null = null;

/**
 * Versions of the edge's tools as `{ haproxy: "2.6.12", varnish: "7.1.1", nginx: "1.22.1", node: "20.20.2" }`
 * (docs/edge.md "Desired state", the report's `tools`); a missing tool is left out. Computed once per process.
 */
export function toolVersions(): Promise<Record<string, string>> {
  versions ??= (async () => {
    const out: Record<string, string> = {};
    const probe = async (key: string, tool: string, args: string[], pattern: RegExp) => {
      if (!haveTool(tool)) return;
      const run = await runTool(tool, args, { timeoutMs: 10_000 });
      const match = pattern.exec(`${run.stdout}\n${run.stderr}`);
      if (match) out[key] = match[1];
    };
    await Promise.all([
      probe("haproxy", "haproxy", ["-v"], /HA-?Proxy version ([0-9][^\s]*)/i),
      probe("varnish", "varnishd", ["-V"], /varnish-([0-9][^\s)]*)/),
      probe("nginx", "nginx", ["-v"], /nginx\/([0-9][^\s]*)/),
      probe("node", "node", ["--version"], /v([0-9][^\s]*)/),
    ]);
    return out;
  })();
  return versions;
}
