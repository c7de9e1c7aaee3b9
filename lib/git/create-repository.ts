import fs from "node:fs";
import path from "node:path";
import { settings } from "@/lib/config";
import { isSafeTreePath, isValidBranchName, PRODUCTION_BRANCH } from "./names";
import { runGit, runGitText } from "./run";

/** A commit identity (`user.name` / `user.email`). */
export type GitIdentity = { name: string; email: string };

/** The platform's own identity for commits it makes: "Edge Console" <platform@EDGE_CNAME_SUFFIX> (docs/product.md §5). */
export function platformIdentity(): GitIdentity {
  return { name: "Edge Console", email: `platform@${settings().edgeCnameSuffix || "localhost"}` };
}

/** Raised when the target folder of a new repository exists and is not an empty folder. Nothing was touched. */
export class RepositoryPathTakenError extends Error {
  readonly code = "EEXIST";
  constructor(readonly dir: string) {
    super(`Cannot create a repository at ${dir}: something is already there`);
    this.name = "RepositoryPathTakenError";
  }
}

export type CreateBareRepositoryOptions = {
  message: string;
  /** Author and committer; default {@link platformIdentity}. */
  author?: GitIdentity;
  /** Default `Production`; HEAD points at it. */
  branch?: string;
};

export type CreatedRepository = { dir: string; branch: string; commit: string; tree: string };

type TreeNode = { files: Map<string, string>; dirs: Map<string, TreeNode> };

/** Claims `dir` for a new repository: creates it, or accepts an existing empty folder. */
function claimDirectory(dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory() || fs.readdirSync(dir).length > 0) throw new RepositoryPathTakenError(dir);
  }
}

/** Writes the tree for `node` bottom-up with `git mktree` (which sorts entries itself) and returns its id. */
async function writeTree(gitDir: string, node: TreeNode): Promise<string> {
  const subtrees = await Promise.all([...node.dirs].map(async ([name, child]) => [name, await writeTree(gitDir, child)] as const));
  const lines = [
    ...[...node.files].map(([name, oid]) => `100644 blob ${oid}\t${name}\0`),
    ...subtrees.map(([name, oid]) => `040000 tree ${oid}\t${name}\0`),
  ];
  return runGitText(["mktree", "-z"], { gitDir, input: lines.join("") });
}

/**
 * Creates a bare repository at `dir` whose branch `Production` (HEAD) holds one commit of `files`
 * (`{ "varnish/default.vcl": "<utf-8 text>" }`), written without a worktree through git plumbing
 * (git-init(1) `--bare --initial-branch`, git-hash-object(1) `-w --stdin`, git-mktree(1), git-commit-tree(1),
 * git-update-ref(1) with the all-zero old value, so an existing branch is never overwritten).
 *
 * `dir` must be absent or an empty folder (else {@link RepositoryPathTakenError}, and nothing is touched); its
 * parent is created when missing. File paths must pass {@link isSafeTreePath} and not be both a file and a folder,
 * and `branch` must pass {@link isValidBranchName} (else TypeError, nothing touched). Any later failure (GitError
 * from git, an fs error) removes `dir` and rejects with it. Resolves with the commit and tree ids.
 */
export async function createBareRepository(
  dir: string,
  files: Record<string, string>,
  options: CreateBareRepositoryOptions,
): Promise<CreatedRepository> {
  const branch = options.branch ?? PRODUCTION_BRANCH;
  const author = options.author ?? platformIdentity();
  if (!isValidBranchName(branch)) throw new TypeError(`Invalid branch name: ${JSON.stringify(branch)}`);
  const entries = Object.entries(files);
  const paths = new Set(entries.map(([filePath]) => filePath));
  for (const filePath of paths) {
    if (!isSafeTreePath(filePath)) throw new TypeError(`Unsafe path for a repository file: ${JSON.stringify(filePath)}`);
    const parts = filePath.split("/");
    for (let n = 1; n < parts.length; n++) {
      const parent = parts.slice(0, n).join("/");
      if (paths.has(parent)) throw new TypeError(`${JSON.stringify(parent)} is both a file and a folder`);
    }
  }
  const root: TreeNode = { files: new Map(), dirs: new Map() };

  const gitDir = path.resolve(dir);
  claimDirectory(gitDir);
  try {
    await runGit(["init", "--quiet", "--bare", `--initial-branch=${branch}`, "--template=", "--", gitDir]);

    const oids = await Promise.all(entries.map(([, content]) => runGitText(["hash-object", "-w", "--stdin"], { gitDir, input: content })));
    entries.forEach(([filePath], index) => {
      const parts = filePath.split("/");
      let node = root;
      for (const part of parts.slice(0, -1)) {
        let next = node.dirs.get(part);
        if (!next) node.dirs.set(part, (next = { files: new Map(), dirs: new Map() }));
        node = next;
      }
      node.files.set(parts[parts.length - 1], oids[index]);
    });
    const tree = await writeTree(gitDir, root);

    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    const message = options.message.endsWith("\n") ? options.message : `${options.message}\n`;
    const commit = await runGitText(["commit-tree", tree], { gitDir, input: message, env: identity });
    await runGit(["update-ref", "-m", "create repository", `refs/heads/${branch}`, commit, "0".repeat(40)], { gitDir });
    return { dir: gitDir, branch, commit, tree };
  } catch (err) {
    fs.rmSync(gitDir, { recursive: true, force: true });
    throw err;
  }
}
