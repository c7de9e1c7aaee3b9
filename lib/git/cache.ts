import fs from "node:fs";
import path from "node:path";
import { readBlobContent } from "./commit";
import { isSafeTreePath, isValidBranchName } from "./names";
import { runGit } from "./run";

// Reads of a branch's files that pages repeat on every view (the application page shows `section.config.json`). A
// file's content at a commit never changes, so it is kept in a small LRU keyed by repository + commit id + path; only
// the branch → commit step is done on every call, by reading the ref from the repository's files (loose ref, then
// packed-refs: git-pack-refs(1), gitrepository-layout(5)) without starting git. git writes refs through a lock
// file and a rename, so a read sees the old or the new commit id, never half of one. Anything unexpected (a
// reftable repository, a symbolic ref) falls back to git itself.

/** Entries and total bytes the cache may hold (a typical `section.config.json` is well under 4 KiB). */
const MAX_ENTRIES = 1000;
const MAX_BYTES = 8 * 1024 * 1024;

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A least-recently-used map with a cap on entries and on the summed size of its values. */
class Lru<V> {
  private readonly map = new Map<string, { value: V; size: number }>();
  private bytes = 0;
  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key); // re-inserted last: most recently used
    this.map.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    if (size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.size;
      this.map.delete(key);
    }
    this.map.set(key, { value, size });
    this.bytes += size;
    for (const [oldest, entry] of this.map) {
      if (this.map.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.map.delete(oldest);
      this.bytes -= entry.size;
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.map.size;
  }
}

/** File contents (null: no such file at that commit) by `repoPath \0 commit \0 filePath`. */
const blobs = new Lru<string | null>(MAX_ENTRIES, MAX_BYTES);
const stats = { hits: 0, misses: 0 };

/** What the cache served so far (tests, benchmarks). */
export function blobCacheStats(): { hits: number; misses: number; entries: number } {
  return { ...stats, entries: blobs.size };
}

/** Empties the cache (tests). */
export function clearBlobCache(): void {
  blobs.clear();
  stats.hits = 0;
  stats.misses = 0;
}

/** Reads a file of the repository's folder, or null when it does not exist. */
function readOptional(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw err;
  }
}

/**
 * The commit id `refs/heads/<branch>` points at in the bare repository `repoPath`, read from its files: the loose
 * ref first, then packed-refs (as git looks them up). `null` when the branch does not exist; `undefined` when the
 * files say something this reader does not handle (then ask git).
 */
function refFromFiles(repoPath: string, branch: string): string | null | undefined {
  const ref = `refs/heads/${branch}`;
  const loose = readOptional(path.join(repoPath, ref));
  if (loose !== null) {
    const oid = loose.trim();
    return OID.test(oid) ? oid : undefined; // "ref: …" (symbolic) or a torn read: let git answer
  }
  if (fs.existsSync(path.join(repoPath, "reftable"))) return undefined;
  const packed = readOptional(path.join(repoPath, "packed-refs"));
  if (packed === null) return null;
  for (const line of packed.split("\n")) {
    if (line.endsWith(` ${ref}`)) {
      const oid = line.slice(0, line.indexOf(" "));
      return OID.test(oid) ? oid : undefined;
    }
  }
  return null;
}

/** The commit id of branch `branch`, or null when it does not exist. Rejects with GitError if git fails otherwise. */
export async function resolveBranch(repoPath: string, branch: string): Promise<string | null> {
  if (!isValidBranchName(branch)) return null;
  const fromFiles = refFromFiles(repoPath, branch);
  if (fromFiles !== undefined) return fromFiles;
  const out = await runGit(["for-each-ref", "--format=%(objectname)", `refs/heads/${branch}`], { gitDir: repoPath });
  const oid = out.toString("utf8").trim();
  return OID.test(oid) ? oid : null;
}

/**
 * The UTF-8 text of `filePath` on branch `branch` of the bare repository `repoPath`, or `null` when the branch or the
 * file does not exist or a name is not one git could hold — the same answers as `readBlob` (lib/git/read.ts). The
 * branch is resolved on every call (no git process); the content is read once per commit and path, then served from
 * a bounded LRU (1,000 entries, 8 MiB). Rejects with GitError when the repository cannot be read.
 */
export async function readBranchBlobCached(repoPath: string, branch: string, filePath: string): Promise<string | null> {
  if (!isValidBranchName(branch) || !isSafeTreePath(filePath)) return null;
  const commit = await resolveBranch(repoPath, branch);
  if (commit === null) return null;
  const key = `${repoPath}\0${commit}\0${filePath}`;
  const cached = blobs.get(key);
  if (cached !== undefined) {
    stats.hits++;
    return cached;
  }
  stats.misses++;
  const text = (await readBlobContent(repoPath, commit, filePath))?.toString("utf8") ?? null;
  blobs.set(key, text, key.length + (text?.length ?? 0) * 2);
  return text;
}
