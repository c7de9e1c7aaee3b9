import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

// The agent's own processes (docs/product.md §8 "Agent settings"): started detached with their pid files under
// EDGE_STATE_DIR, adopted again by pid file after an agent restart (when the pid is alive and runs the expected
// binary), restarted with back-off when they die, and left running on request for an upgrade.

/** One process the agent keeps running. `command` is an absolute path or a name found on PATH. */
export type ManagedProcess = {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  /**
   * Programs run first (as the agent's user) that end by exec-ing `command` with `args`, e.g. the sandbox's
   * unshare + setpriv (edge/agent/sandbox.ts). The pid stays the same; until the exec it runs a launcher program.
   */
  launcher?: string[];
  /** Run before each start (e.g. remove a socket file a killed process left behind). */
  beforeStart?: () => void;
  /** Called after the supervisor restarted it (re-apply its part: VCLs, …). */
  onRestart?: () => Promise<void>;
};

type Entry = { spec: ManagedProcess; pid: number; failures: number; nextTry: number; restarting: boolean; startedAt: number };

/** How long a launched process may still run its launcher programs before it must be `command`. */
const LAUNCH_GRACE_MS = 3000;

/** True when `pid` is alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Absolute path of a command (PATH lookup), or the command itself when not found. */
export function resolveCommand(command: string): string {
  if (command.includes("/")) return command;
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":").concat(["/usr/sbin", "/sbin"])) {
    const p = path.join(dir, command);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return command;
}

/** True when `pid` is alive and its executable is `command` (by real path; "(deleted)" suffixes ignored). */
export function isExpectedProcess(pid: number, command: string): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/\) Z /.test(stat)) return false;
    const exe = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
    return exe === fs.realpathSync(resolveCommand(command));
  } catch {
    return false;
  }
}

/** True when `pid` is alive (not a zombie) and runs a program other than `command`. */
function isOtherProgram(pid: number, command: string): boolean {
  try {
    if (/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))) return false;
  } catch {
    return false;
  }
  return !isExpectedProcess(pid, command);
}

/** Waits until a UNIX socket at `socketPath` accepts, up to `timeoutMs`. Resolves true when it did. */
export async function waitForSocket(socketPath: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createConnection({ path: socketPath });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Waits until a TCP listener accepts at host:port, up to `timeoutMs`. Resolves true when it did. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createConnection({ host, port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Ends processes still working in `folder` (by their current directory), e.g. an nginx worker that outlived its
 * master after the master was killed. Only used for a folder of a process the agent started.
 */
export function killStragglers(folder: string): void {
  let pids: string[] = [];
  try {
    pids = fs.readdirSync("/proc").filter((d) => /^[0-9]+$/.test(d));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, "");
      if (cwd === folder || cwd.startsWith(`${folder}/`)) process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone or not ours to read
    }
  }
}

/** Keeps named processes running; see the file comment. `runDir` holds `<name>.pid` and `<name>.log`. */
export class Supervisor {
  private entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runDir: string,
    private readonly log: (line: string) => void,
  ) {}

  private pidFile(name: string): string {
    return path.join(this.runDir, `${name}.pid`);
  }

  /** Pid of a running managed process, or null. */
  pid(name: string): number | null {
    const e = this.entries.get(name);
    return e && this.alive(e) ? e.pid : null;
  }

  /** The entry's process runs its command, or was started moments ago and still runs its launcher. */
  private alive(e: Entry): boolean {
    if (isExpectedProcess(e.pid, e.spec.command)) return true;
    return !!e.spec.launcher && Date.now() - e.startedAt < LAUNCH_GRACE_MS && isAlive(e.pid);
  }

  /** Names of the processes under supervision. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Adopts the process named in `<name>.pid` when it is alive and runs `spec.command`, else starts it.
   * Returns whether it was adopted (true) or started (false). Throws when it cannot be started.
   */
  ensure(spec: ManagedProcess): boolean {
    try {
      const pid = Number(fs.readFileSync(this.pidFile(spec.name), "utf8").trim());
      if (isExpectedProcess(pid, spec.command)) {
        this.entries.set(spec.name, { spec, pid, failures: 0, nextTry: 0, restarting: false, startedAt: 0 });
        return true;
      }
    } catch {
      // no pid file: start it
    }
    this.entries.set(spec.name, { spec, pid: this.start(spec), failures: 0, nextTry: 0, restarting: false, startedAt: Date.now() });
    return false;
  }

  private start(spec: ManagedProcess): number {
    spec.beforeStart?.();
    const logFd = fs.openSync(path.join(this.runDir, `${spec.name}.log`), "a", 0o600);
    const [file, ...args] = [...(spec.launcher ?? []), resolveCommand(spec.command), ...spec.args];
    try {
      const child = spawn(file, args, {
        detached: true,
        stdio: ["ignore", logFd, logFd],
        // Exactly the given environment (a tenant's Node process gets only HOST, PORT, NEXT_HOP_*), else a PATH.
        env: (spec.env ?? { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }) as unknown as NodeJS.ProcessEnv,
        cwd: spec.cwd,
        ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
      });
      child.on("error", (e) => this.log(`${spec.name}: ${e.message}`));
      child.unref();
      if (!child.pid) throw new Error(`${spec.name}: could not start ${spec.command}`);
      fs.writeFileSync(this.pidFile(spec.name), `${child.pid}\n`, { mode: 0o600 });
      return child.pid;
    } finally {
      fs.closeSync(logFd);
    }
  }

  /** Stops a managed process (`first`, SIGTERM unless told, then SIGKILL after `graceMs`) and forgets it. */
  async stop(name: string, graceMs = 5000, first: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const e = this.entries.get(name);
    this.entries.delete(name);
    fs.rmSync(this.pidFile(name), { force: true });
    if (!e) return;
    // Each process was started detached, so it leads its own process group: the group takes its workers along
    // (nginx and haproxy workers, varnishd's child).
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-e.pid, sig);
      } catch {
        try {
          process.kill(e.pid, sig);
        } catch {
          // gone
        }
      }
    };
    if (this.alive(e)) {
      signal(first);
      const end = Date.now() + graceMs;
      while (Date.now() < end && this.alive(e)) await new Promise((r) => setTimeout(r, 50));
    }
    // Whatever of the group is still there (a worker that outlived its master) ends now, unless the pid now
    // belongs to another program.
    if (this.alive(e) || !isOtherProgram(e.pid, e.spec.command)) signal("SIGKILL");
    if (e.spec.cwd) killStragglers(e.spec.cwd);
  }

  /** Forgets every process without stopping it (`--keep-proxies`). */
  release(): void {
    this.entries.clear();
    this.halt();
  }

  /** Checks every `intervalMs` that the processes live; a dead one is restarted with back-off (1 s → 30 s). */
  watch(intervalMs = 500): void {
    // Kept referenced: the agent lives on to supervise even when it no longer polls (a revoked token).
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  /** Stops watching. */
  halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    for (const e of this.entries.values()) {
      if (e.restarting || this.alive(e)) continue;
      if (Date.now() < e.nextTry) continue;
      e.restarting = true;
      try {
        this.log(`${e.spec.name} (pid ${e.pid}) is gone: restarting`);
        // What is left of the dead process's group (an nginx worker whose master was killed) goes first: it may
        // hold the ports or sockets the new process needs. A group id stays reserved while members remain.
        if (!isAlive(e.pid)) {
          try {
            process.kill(-e.pid, "SIGKILL");
          } catch {
            // no group left
          }
        }
        e.pid = this.start(e.spec);
        e.startedAt = Date.now();
        // A launched process first runs its launcher programs (≤ 1.5 s), then it must stay up for 300 ms.
        const launched = Date.now() + 1500;
        while (e.spec.launcher && Date.now() < launched && !isExpectedProcess(e.pid, e.spec.command) && isAlive(e.pid))
          await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 300));
        if (!isExpectedProcess(e.pid, e.spec.command)) throw new Error(`${e.spec.name} exited at once (see ${e.spec.name}.log)`);
        await e.spec.onRestart?.();
        e.failures = 0;
      } catch (error) {
        e.failures++;
        e.nextTry = Date.now() + Math.min(30_000, 1000 * 2 ** (e.failures - 1));
        this.log(`${e.spec.name}: restart failed: ${(error as Error).message}`);
      } finally {
        e.restarting = false;
      }
    }
  }
}
