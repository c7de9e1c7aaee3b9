import { spawn } from "node:child_process";
import { GitError, gitEnv, type RunGitOptions } from "./run";

/** What a git command printed and how it exited, for commands whose non-zero exit is an answer (not a failure). */
export type GitOutcome = { exitCode: number; stdout: Buffer; stderr: string };

/**
 * Runs `git <args>` like `runGit` (no shell, explicit environment from `gitEnv`, GIT_DIR from `gitDir`) but
 * resolves with the exit code and both outputs whenever git ran, e.g. git-merge-tree(1) exits 1 for "conflicts"
 * with the tree and the conflicting names on stdout. Rejects with GitError only when git could not be started.
 */
export function runGitWithStatus(args: readonly string[], options: RunGitOptions = {}): Promise<GitOutcome> {
  return new Promise((resolve, reject) => {
    const env = gitEnv({ ...(options.gitDir ? { GIT_DIR: options.gitDir } : {}), ...options.env });
    const child = spawn("git", args, { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (cause) => reject(new GitError(args, null, cause.message, { cause })));
    child.on("close", (code) => resolve({ exitCode: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}
