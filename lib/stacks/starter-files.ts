import fs from "node:fs";
import path from "node:path";
import type { Stack } from "./catalog";

// Starter files are real module files kept in `lib/stacks/starters/<repository path>`, so they can be run and
// checked as they are (varnishd -C, nginx -t, node). They are read relative to the working directory, which is the
// project root under `next start`, vitest, tsx and the CLI scripts.

/** Folder holding the starter files, laid out as they appear in a new repository. */
export function startersDir(): string {
  return path.join(process.cwd(), "lib", "stacks", "starters");
}

const cache = new Map<string, string>();

/**
 * The starter files of `stack` as `{ "<repository path>": "<utf-8 content>" }` (docs/product.md §5), read once per process.
 * Throws the fs error (ENOENT) when a catalog file is missing from `lib/stacks/starters/`: a packaging defect.
 */
export function readStarterFiles(stack: Stack): Record<string, string> {
  const files: Record<string, string> = {};
  for (const repoPath of stack.starterFiles) {
    let content = cache.get(repoPath);
    if (content === undefined) {
      content = fs.readFileSync(path.join(startersDir(), ...repoPath.split("/")), "utf8");
      cache.set(repoPath, content);
    }
    files[repoPath] = content;
  }
  return files;
}
