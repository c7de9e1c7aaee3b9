import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { gitEnv } from "@/lib/git";

// One `git cat-file --batch` process per repository for the desired state (docs/edge.md "Desired state": `files`):
// trees and blobs of any number of commits are read through it, so building the state of ~800 applications starts
// one git process per repository, not one per file (git-cat-file(1), "BATCH OUTPUT"; gitformat tree objects).

/** An object read from the batch: its id, type and raw content. */
export type GitObject = { oid: string; type: string; content: Buffer };

/** One entry of a tree object: mode (`40000` tree, `100644`/`100755` blob, `120000` symlink, `160000` gitlink). */
export type TreeItem = { mode: string; name: string; oid: string };

type Pending = { resolve: (object: GitObject | null) => void; reject: (error: Error) => void };

/**
 * A `git cat-file --batch` child on the bare repository `repoPath`. `read(spec)` answers objects in request order;
 * `close()` ends the child. Errors of the child reject every pending read.
 */
export class CatFileBatch {
  /** How many batch processes this process started (tests and the benchmark check there is one per repository). */
  static started = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private failed: Error | null = null;

  constructor(repoPath: string) {
    CatFileBatch.started += 1;
    this.child = spawn("git", ["cat-file", "--batch"], { env: gitEnv({ GIT_DIR: repoPath }), stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    this.child.stderr.resume();
    const fail = (error: Error) => {
      this.failed = error;
      for (const p of this.pending.splice(0)) p.reject(error);
    };
    this.child.on("error", fail);
    this.child.on("close", (code) => {
      if (this.pending.length) fail(new Error(`git cat-file --batch ended (exit ${code}) with reads pending`));
    });
    this.child.stdin.on("error", () => undefined); // reported through "close"
  }

  /** Reads `spec` (an object id, `<commit>^{tree}`, `<commit>:<path>`); null when git says it is missing. */
  read(spec: string): Promise<GitObject | null> {
    if (this.failed) return Promise.reject(this.failed);
    if (/[\n\r]/.test(spec)) return Promise.resolve(null);
    return new Promise<GitObject | null>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${spec}\n`);
    });
  }

  private drain(): void {
    while (this.pending.length) {
      const eol = this.buffer.indexOf(0x0a);
      if (eol < 0) return;
      const header = this.buffer.subarray(0, eol).toString("utf8");
      const parts = header.split(" ");
      if (parts.length !== 3 || !/^\d+$/.test(parts[2])) {
        // `<spec> missing` or `<spec> ambiguous`
        this.buffer = this.buffer.subarray(eol + 1);
        this.pending.shift()!.resolve(null);
        continue;
      }
      const size = Number(parts[2]);
      if (this.buffer.length < eol + 1 + size + 1) return;
      const content = Buffer.from(this.buffer.subarray(eol + 1, eol + 1 + size));
      this.buffer = this.buffer.subarray(eol + 1 + size + 1);
      this.pending.shift()!.resolve({ oid: parts[0], type: parts[1], content });
    }
  }

  /** Ends the child (pending reads are answered first by git). */
  close(): void {
    this.child.stdin.end();
  }
}

/** Parses a raw tree object (`<mode> <name>\0<binary id>` repeated); `hashBytes` is 20 (SHA-1) or 32 (SHA-256). */
export function parseTree(content: Buffer, hashBytes: number): TreeItem[] {
  const items: TreeItem[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0x00, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + hashBytes > content.length) break;
    items.push({
      mode: content.subarray(at, space).toString("latin1"),
      name: content.subarray(space + 1, nul).toString("utf8"),
      oid: content.subarray(nul + 1, nul + 1 + hashBytes).toString("hex"),
    });
    at = nul + 1 + hashBytes;
  }
  return items;
}

/** Reads the tree `spec` (a tree id or `<commit>^{tree}`) through `batch`; null when missing or not a tree. */
export async function readTree(batch: CatFileBatch, spec: string): Promise<TreeItem[] | null> {
  const object = await batch.read(spec);
  if (!object || object.type !== "tree") return null;
  return parseTree(object.content, object.oid.length / 2);
}

/**
 * Every blob under tree `treeOid`, recursively, as `prefix + path` → blob id (symlinks and submodules left out),
 * at most `maxEntries` of them.
 */
export async function listBlobs(batch: CatFileBatch, treeOid: string, prefix: string, maxEntries = 10_000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (oid: string, at: string): Promise<void> => {
    const items = await readTree(batch, oid);
    if (!items) return;
    for (const item of items) {
      if (out.size >= maxEntries) return;
      if (item.mode === "40000") await walk(item.oid, `${at}${item.name}/`);
      else if (item.mode === "100644" || item.mode === "100755") out.set(`${at}${item.name}`, item.oid);
    }
  };
  await walk(treeOid, prefix);
  return out;
}
