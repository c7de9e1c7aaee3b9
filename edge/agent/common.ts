import { execFile } from "node:child_process";
import fs from "node:fs";

// Small pieces the edge agent's parts share (edge/agent/agent.ts, varnish-control.ts): the apply error with the
// tool a report names (docs/edge.md "Applying, on the node"), running a tool, and user and group ids.

/** A refusal or failure while applying an environment: `tool` is what the report names (policy, varnishd, …). */
export class ApplyError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs `cmd args…` without a shell (time limit `timeoutMs`, default 30 s). Resolves to the exit code and stdout+stderr, trimmed; never rejects. */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}`.trim() });
    });
  });
}

/** uid and gid of the user `name` from /etc/passwd, or null when there is no such user. */
export function userIds(name: string): { uid: number; gid: number } | null {
  try {
    const line = fs
      .readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${name}:`));
    if (!line) return null;
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

/** gid of the group `name` from /etc/group, or null when there is no such group. */
export function groupId(name: string): number | null {
  try {
    const line = fs
      .readFileSync("/etc/group", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${name}:`));
    return line ? Number(line.split(":")[2]) : null;
  } catch {
    return null;
  }
}
