import pg from "pg";
import { dialect } from "@/db";
import { log } from "@/lib/log";

// The leader (docs/architecture.md "Many instances"): of the processes sharing one PostgreSQL database, exactly one
// at a time runs the work that must run once — start-up recovery and the periodic leftovers check, folding the
// domain status deltas, traffic retention. It is whoever holds a session-level advisory lock on a connection of its
// own: PostgreSQL lets one session hold it, and frees it when that session ends (the process died, the network
// dropped), so another process takes over at its next try. On SQLite (one machine) every process is the leader, as
// before: that work is idempotent and decided inside write transactions.

/** The advisory lock's key (an arbitrary 64-bit number: "edge-console leader"). */
const LEADER_LOCK = 7_212_083_412;
/** How often a follower tries to take the lock, and the leader checks that its session is alive (ms). */
export const LEADER_TRY_MS = 5_000;

type State = { leader: boolean; client: pg.Client | null; timer: NodeJS.Timeout | null; tried: Promise<void> | null };
const KEY = Symbol.for("edge-console.leader");

function state(): State {
  const holder = globalThis as unknown as Record<symbol, State | undefined>;
  return (holder[KEY] ??= { leader: false, client: null, timer: null, tried: null });
}

/** True when this process runs the once-per-cluster work now. Always true on SQLite. */
export function isLeader(): boolean {
  return dialect() === "sqlite" || state().leader;
}

async function drop(s: State, why: string | null): Promise<void> {
  if (s.leader) {
    if (why) log.warn(`[leader] leadership lost: ${why}`);
    else log.info("[leader] leadership handed over (this process stops)");
  }
  s.leader = false;
  const client = s.client;
  s.client = null;
  await client?.end().catch(() => {});
}

/** One try: connect if needed; a leader checks its session, a follower tries the lock. Never throws. */
async function attempt(s: State): Promise<void> {
  try {
    if (!s.client) {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: "edge-console:leader" });
      client.on("error", (error) => void drop(s, error.message));
      await client.connect();
      s.client = client;
    }
    if (s.leader) {
      await s.client.query("select 1");
      return;
    }
    const { rows } = await s.client.query<{ got: boolean }>("select pg_try_advisory_lock($1) as got", [LEADER_LOCK]);
    if (rows[0]?.got) {
      s.leader = true;
      log.info(`[leader] this process (pid ${process.pid}) is the leader`);
    }
  } catch (error) {
    await drop(s, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Takes part in the election (PostgreSQL): tries at once, then every LEADER_TRY_MS. Resolves after the first try, so
 * a caller can ask `isLeader()` for its start-up work. Idempotent; a no-op on SQLite.
 */
export async function startLeaderElection(): Promise<void> {
  if (dialect() === "sqlite") return;
  const s = state();
  if (!s.tried) {
    s.tried = attempt(s);
    s.timer = setInterval(() => void attempt(s), LEADER_TRY_MS);
    s.timer.unref();
  }
  await s.tried;
}

/** Leaves the election and frees the lock (a clean stop hands leadership over at once). */
export async function stopLeaderElection(): Promise<void> {
  const s = state();
  if (s.timer) clearInterval(s.timer);
  s.timer = null;
  s.tried = null;
  await drop(s, null);
}

/** `CONSOLE_ROLE`: `all` (default: serves and works), `web` (serves only) or `worker` (background work only). */
export type ConsoleRole = "all" | "web" | "worker";

/** The role of this process from `CONSOLE_ROLE`; throws naming the setting for another value. */
export function consoleRole(env: NodeJS.ProcessEnv = process.env): ConsoleRole {
  const value = (env.CONSOLE_ROLE || "all").trim();
  if (value === "all" || value === "web" || value === "worker") return value;
  throw new Error(`CONSOLE_ROLE must be all, web or worker, not "${value}"`);
}
