import fs from "node:fs";
import { rawReader } from "@/db/raw";
import { dialect } from "@/db";

// CPU time of the processes a benchmark runs on (Linux /proc, proc(5)): where a run's work went, and whether the
// machine's cores were the limit. A rate measured on a machine whose cores are all busy says nothing about what a
// second process would add; CPU milliseconds per unit of work say it on any machine.

/** Clock ticks per second of /proc/<pid>/stat's time fields (sysconf(_SC_CLK_TCK); 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // gone
  }
}

/**
 * CPU time (ms, user + system) used so far by process `pid`, plus, with `family`, the children it has reaped
 * (cutime, cstime) and its live children (one level: PostgreSQL's backends under the postmaster). 0 when the process
 * is gone. proc(5): fields 14-17 are utime, stime, cutime, cstime in clock ticks; field 4 is the parent's pid.
 */
export function processCpuMs(pid: number, family = false): number {
  const own = statFields(pid);
  if (!own) return 0;
  // statFields starts at field 3 (state): field n is at index n - 3.
  const ticks = (f: string[], from: number, to: number) => f.slice(from - 3, to - 2).reduce((s, v) => s + Number(v), 0);
  let total = ticks(own, 14, family ? 17 : 15);
  if (family) {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const f = statFields(Number(entry));
      if (f && Number(f[4 - 3]) === pid) total += ticks(f, 14, 15);
    }
  }
  return (total * 1000) / TICKS_PER_SECOND;
}

/** The PostgreSQL postmaster serving this process's database (the parent of one of its backends), or null on SQLite. */
export async function postmasterPid(): Promise<number | null> {
  if (dialect() !== "postgres") return null;
  const [{ pid }] = await rawReader().rows<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const f = statFields(Number(pid));
  return f ? Number(f[4 - 3]) : null;
}

/** This process's CPU time so far (ms, user + system; process.cpuUsage). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
