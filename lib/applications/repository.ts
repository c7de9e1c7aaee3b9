import fs from "node:fs";
import path from "node:path";
import { getDb } from "@/db";
import { applications } from "@/db/schema";
import { repositoriesDir, settings } from "@/lib/config";
import { readBlob } from "@/lib/git";
import { REPOSITORY_DIR_NAME, repositoryPath } from "@/lib/repositories/paths";

// The application's repository as pages show it (a branch's file, the clone URL) and the start-up removal of
// leftovers of an interrupted creation (docs/product.md §7). Where repositories live: lib/repositories/paths.

export { newRepositoryDirName, repositoryPath } from "@/lib/repositories/paths";

/**
 * The text of `filePath` on the branch of environment `branch` of the application's repository, or `null` when
 * the branch or file does not exist (see `readBlob` in lib/git). Rejects with GitError if the repository is unreadable.
 */
export function readBranchFile(application: { repoDir: string }, branch: string, filePath: string): Promise<string | null> {
  return readBlob(repositoryPath(application), branch, filePath);
}

/**
 * The git clone URL shown in the UI (docs/product.md §3.6):
 * `<APP_URL>/git/account/{accountId}/application/{appId}/{repoName}.git`.
 */
export function cloneUrl(application: { id: number; accountId: number; repoName: string }): string {
  const name = encodeURIComponent(application.repoName);
  return `${settings().appUrl}/git/account/${application.accountId}/application/${application.id}/${name}.git`;
}

/**
 * Start-up check (docs/product.md §7): removes from `repositoriesDir()` the repository folders (`<32 hex>.git`) that no
 * applications row references — left by a crash between building a repository and committing its rows — and any
 * `*.tmp*` entry, when their modification time is older than `olderThanMs` (default 60 s, so a creation running in
 * another process right now is left alone). Returns the removed names, sorted. Missing folder → `[]`.
 * fs errors other than a vanished entry are thrown.
 */
export async function cleanupInterruptedCreations(options: { olderThanMs?: number; now?: number } = {}): Promise<string[]> {
  const olderThanMs = options.olderThanMs ?? 60_000;
  const now = options.now ?? Date.now();
  const dir = repositoriesDir();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }

  // Age first, rows second: a creation that commits its rows after this read holds a folder too young to matter.
  const old = names.filter((name) => {
    if (!REPOSITORY_DIR_NAME.test(name) && !name.includes(".tmp")) return false;
    try {
      return now - fs.lstatSync(path.join(dir, name)).mtimeMs > olderThanMs;
    } catch {
      return false;
    }
  });
  if (old.length === 0) return [];

  const referenced = new Set((await getDb().select({ repoDir: applications.repoDir }).from(applications)).map((row) => row.repoDir));
  const removed: string[] = [];
  for (const name of old) {
    if (referenced.has(name)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}
