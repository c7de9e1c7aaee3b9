import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getDb } from "@/db";
import { applications } from "@/db/schema";
import { repositoriesDir, settings } from "@/lib/config";
import { readBlob } from "@/lib/git";

// Where application repositories live and how leftovers of an interrupted creation are removed (SPEC §7).

/** Folder names of repositories made by this module: `<32 hex>.git`. */
const REPOSITORY_DIR_NAME = /^[0-9a-f]{32}\.git$/;

/** A fresh folder name for a new repository: 16 random bytes in hex + `.git`. */
export function newRepositoryDirName(): string {
  return `${crypto.randomBytes(16).toString("hex")}.git`;
}

/**
 * Absolute path of an application's bare repository: `repositoriesDir()/<repoDir>`.
 * Throws TypeError when `repoDir` is not a single folder name (a corrupted row must not point elsewhere).
 */
export function repositoryPath(application: { repoDir: string }): string {
  const name = application.repoDir;
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new TypeError(`Invalid repository folder name: ${JSON.stringify(name)}`);
  }
  return path.join(repositoriesDir(), name);
}

/**
 * The text of `filePath` on the branch of environment `branch` of the application's repository, or `null` when
 * the branch or file does not exist (see `readBlob` in lib/git). Rejects with GitError if the repository is unreadable.
 */
export function readBranchFile(application: { repoDir: string }, branch: string, filePath: string): Promise<string | null> {
  return readBlob(repositoryPath(application), branch, filePath);
}

/**
 * The git clone URL shown in the UI (SPEC §3.6):
 * `<APP_URL>/git/account/{accountId}/application/{appId}/{repoName}.git`.
 */
export function cloneUrl(application: { id: number; accountId: number; repoName: string }): string {
  const name = encodeURIComponent(application.repoName);
  return `${settings().appUrl}/git/account/${application.accountId}/application/${application.id}/${name}.git`;
}

/**
 * Start-up check (SPEC §7): removes from `repositoriesDir()` the repository folders (`<32 hex>.git`) that no
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

  const referenced = new Set((await getDb().select({ repoDir: applications.repoDir }).from(applications).all()).map((row) => row.repoDir));
  const removed: string[] = [];
  for (const name of old) {
    if (referenced.has(name)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}
