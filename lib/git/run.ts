import { spawn } from "node:child_process";
import os from "node:os";

// Runs the `git` CLI without a shell. Children get an explicit environment, never all of `process.env` (it holds
// AUTH_SECRET): PATH, HOME, the C locale (stable messages), no system/global git config (deterministic behaviour
// whatever the machine's ~/.gitconfig says), no terminal prompts.

/** A git command that exited non-zero (or could not start). `stderr` is git's own message, in the C locale. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${args[0] ?? ""} failed${exitCode === null ? "" : ` (exit ${exitCode})`}: ${stderr.trim() || "no output"}`, options);
    this.name = "GitError";
  }
}

/**
 * The environment for a git child process: PATH, HOME, NODE_ENV, LANG/LC_ALL=C, GIT_CONFIG_NOSYSTEM=1,
 * GIT_CONFIG_GLOBAL=/dev/null, GIT_TERMINAL_PROMPT=0, plus `extra` (e.g. GIT_DIR, GIT_AUTHOR_NAME).
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: process.env.NODE_ENV ?? "production", // required by Next's ProcessEnv type; harmless to git
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    ...extra,
  };
}

export type RunGitOptions = {
  /** Bare repository to operate on (passed as GIT_DIR, so git never searches parent folders). */
  gitDir?: string;
  cwd?: string;
  /** Written to git's standard input, then closed. */
  input?: string | Buffer;
  /** Extra variables on top of {@link gitEnv}. */
  env?: Record<string, string>;
};

/** What a git command printed and how it exited, for commands whose non-zero exit is an answer (not a failure). */
export type GitOutcome = { exitCode: number; stdout: Buffer; stderr: string };

/**
 * Runs `git <args>` (no shell, explicit environment from `gitEnv`, GIT_DIR from `gitDir`) and resolves with the exit
 * code and both outputs whenever git ran, e.g. git-merge-tree(1) exits 1 for "conflicts" with the tree and the
 * conflicting names on stdout. Rejects with {@link GitError} only when git could not be started.
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
    // A child that exits before reading all its input closes the pipe: that is reported by its exit code.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Runs `git <args>` (no shell; pass user-controlled names after `--` where the command accepts it) and resolves
 * with its standard output as a Buffer. Rejects with {@link GitError} on a non-zero exit or a spawn failure.
 */
export async function runGit(args: readonly string[], options: RunGitOptions = {}): Promise<Buffer> {
  const outcome = await runGitWithStatus(args, options);
  if (outcome.exitCode !== 0) throw new GitError(args, outcome.exitCode, outcome.stderr);
  return outcome.stdout;
}

/** {@link runGit} returning trimmed UTF-8 standard output (for commands printing an object id or a ref). */
export async function runGitText(args: readonly string[], options: RunGitOptions = {}): Promise<string> {
  return (await runGit(args, options)).toString("utf8").trim();
}
