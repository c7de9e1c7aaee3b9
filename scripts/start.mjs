// Runs the console on its embedded defaults: builds once when the build is missing or older than the sources, then
// the console's server (scripts/server.mjs: Next's request handler behind a plain Node server) with its heap cap
// (scripts/heap.mjs, CONSOLE_MAX_HEAP_MB). Settings come from the environment (see README); none are required.
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { consoleHeapFlags } from "./heap.mjs";

const root = path.resolve(import.meta.dirname, "..");
const buildId = path.join(root, ".next", "BUILD_ID");

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

// CONSOLE_ROLE (docs/product.md §11): checked before any build; `worker` does the background work only, as
// `npm run worker`.
const role = (process.env.CONSOLE_ROLE || "all").trim();
if (!["all", "web", "worker"].includes(role)) {
  console.error(`CONSOLE_ROLE must be all, web or worker, not "${role}"`);
  process.exit(2);
}
if (role === "worker") {
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  const worker = spawn(tsx, ["--conditions=react-server", path.join(root, "scripts", "worker.ts")], { cwd: root, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => worker.kill(signal));
  worker.on("exit", (code) => process.exit(code ?? 0));
} else {
  startConsole();
}

function startConsole() {
  const sources = ["app", "components", "db", "lib", "public"].filter((d) => fs.existsSync(path.join(root, d)));
  const built = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const stale = sources.some((d) => newestSource(path.join(root, d)) > built);
  const next = path.join(root, "node_modules", ".bin", "next");

  if (!built || stale || process.argv.includes("--build")) {
    console.log(built ? "Sources changed since the last build: building…" : "First start: building the console…");
    const result = spawnSync(next, ["build"], { cwd: root, stdio: "inherit" });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }

  let heapFlags; // the heap cap (scripts/heap.mjs), given here so that server.mjs need not start itself again
  try {
    heapFlags = consoleHeapFlags(process.env, process.execArgv);
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }

  const port = process.env.PORT || "3000";
  const server = path.join(root, "scripts", "server.mjs");
  const child = spawn(process.execPath, [...heapFlags, server, "--port", port, "--hostname", process.env.HOSTNAME || "127.0.0.1"], {
    cwd: root,
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code) => process.exit(code ?? 0));
}
