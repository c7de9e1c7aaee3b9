import fs from "node:fs";
import path from "node:path";

// Where the e2e consoles' output is kept for e2e/zz-log-secrets.spec.ts: e2e/serve.ts and e2e/serve-edge.ts copy
// everything their console prints (stdout and stderr) into these files, emptied when they start.

const root = path.resolve(import.meta.dirname, "..");

/** The console of e2e/serve.ts (the "console" project). */
export const CONSOLE_LOG = path.join(root, "test-results", "console.log");
/** The console of e2e/serve-edge.ts (the "edge" project). */
export const EDGE_CONSOLE_LOG = path.join(root, "test-results", "console-edge.log");

/** Opens `file` afresh (folders made, old content dropped) and returns a function that appends one chunk of output. */
export function teeTo(file: string): (chunk: Buffer) => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "w");
  return (chunk) => fs.writeSync(fd, chunk);
}

/**
 * Returns a function that prints a console's output to `out` without its access-log lines (the JSON lines logged
 * at info with the message "request", one per answered request: thousands in a run). Everything is in the file
 * kept by {@link teeTo}; the run's own output keeps what helps reading a failure. A line cut between two chunks is
 * printed once it is whole.
 */
export function withoutAccessLines(out: NodeJS.WritableStream): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    const lines = (rest + chunk.toString("utf8")).split("\n");
    rest = lines.pop() ?? "";
    const kept = lines.filter((line) => !(line.startsWith('{"level":"info"') && line.endsWith('"msg":"request"}')));
    if (kept.length) out.write(`${kept.join("\n")}\n`);
  };
}
