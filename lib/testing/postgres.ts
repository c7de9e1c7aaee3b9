// A throwaway PostgreSQL cluster owned by the test run (docs/architecture.md, "Data"): initdb into a fresh temp
// folder, a server on 127.0.0.1 with durability switched off, and fresh databases created and dropped over `pg`.
// Debian's own `postgresql` service is not used and stays stopped (scripts/install-system-packages.sh).
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** Where Debian installs each PostgreSQL major (`/usr/lib/postgresql/<major>/bin`). */
const PG_ROOT = "/usr/lib/postgresql";
/** The oldest major the console supports. */
const MIN_MAJOR = 15;
/** Ports tried, from a random start: clear of the other suites' fixed ports (3100, 3120, 6000-14999, 19080, 26000, 30000-30999). */
const PORT_FIRST = 59000;
const PORT_COUNT = 1000;
/** How many ports a start tries before it gives up. */
const PORT_ATTEMPTS = 25;
/** The superuser initdb creates; with trust authentication it needs no password. */
const SUPERUSER = "postgres";
/** The OS user that runs initdb and the server when the tests run as root (initdb refuses root). */
const OS_USER = "postgres";

/** A running throwaway cluster; see {@link startTestCluster}. */
export interface TestCluster {
  /** The admin URL: `postgres://postgres@127.0.0.1:<port>/postgres` (superuser, trust authentication, no password). */
  url: string;
  /** The TCP port on 127.0.0.1, in 59000-59999. */
  port: number;
  /** The temp folder holding the data directory (`data/`), the Unix socket (`sock/`) and the server log (`server.log`). */
  dir: string;
  /**
   * Stops the server at once (`pg_ctl stop -m immediate`: no checkpoint, connections are cut) and removes `dir`.
   * Resolves once the server process is gone and the port is closed (also when it was gone already); calling it
   * again returns the same promise. Rejects with pg_ctl's output when the server could not be stopped (the folder is
   * removed anyway).
   */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL major ≥ 15 with initdb, pg_ctl and postgres, as its bin folder, or null. */
function findBinDir(): string | null {
  let majors: number[];
  try {
    majors = fs
      .readdirSync(PG_ROOT)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((major) => major >= MIN_MAJOR)
      .sort((a, b) => b - a);
  } catch {
    return null;
  }
  for (const major of majors) {
    const bin = path.join(PG_ROOT, String(major), "bin");
    const ok = ["initdb", "pg_ctl", "postgres"].every((tool) => {
      try {
        fs.accessSync(path.join(bin, tool), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (ok) return bin;
  }
  return null;
}

const asRoot = () => process.getuid?.() === 0;

/** The uid and gid of the `postgres` OS user, or null when it does not exist. */
function osUserIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync("id", ["-u", OS_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    const gid = Number(execFileSync("id", ["-g", OS_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

function haveRunuser(): boolean {
  return spawnSync("runuser", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Whether {@link startTestCluster} can run here: null when it can, else a one-line reason naming what is missing
 * and the fix. Without initdb, pg_ctl and postgres of a major ≥ 15 under /usr/lib/postgresql: "PostgreSQL is not
 * installed (/usr/lib/postgresql/…/bin/initdb): run sudo scripts/install-system-packages.sh" (with a `*` for the
 * major). As root it also needs the `postgres` OS user (the package creates it) and `runuser`. Synchronous, no side
 * effects; runs `id` and `runuser --version` only as root.
 */
export function postgresAvailable(): string | null {
  if (!findBinDir()) {
    return `PostgreSQL is not installed (${PG_ROOT}/*/bin/initdb): run sudo scripts/install-system-packages.sh`;
  }
  if (asRoot()) {
    if (!osUserIds()) {
      return `the "${OS_USER}" user is missing (initdb refuses to run as root and the tests run it as ${OS_USER}): run sudo scripts/install-system-packages.sh`;
    }
    if (!haveRunuser()) return "runuser is missing (util-linux; initdb refuses to run as root and the tests run it as postgres)";
  }
  return null;
}

/** Runs a PostgreSQL tool in `cwd`, as `postgres` through runuser when we are root. Rejects with its output. */
async function pgTool(bin: string, tool: string, args: string[], cwd: string): Promise<string> {
  const file = path.join(bin, tool);
  const [command, argv] = asRoot() ? ["runuser", ["-u", OS_USER, "--", file, ...args]] : [file, args];
  // PG* variables of the caller (PGDATA, PGPORT, PGHOST…) must not steer the throwaway cluster.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PG"))) as NodeJS.ProcessEnv;
  try {
    const { stdout, stderr } = await run(command, argv, { cwd, env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${tool} failed: ${`${e.stderr ?? ""}${e.stdout ?? ""}`.trim() || e.message}`, { cause: error });
  }
}

/** Whether 127.0.0.1:<port> can be bound right now (it is closed again before this resolves). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Stops the server synchronously (for the process's exit hook); errors are ignored. */
function stopNow(bin: string, dir: string) {
  const file = path.join(bin, "pg_ctl");
  const args = ["stop", "-D", path.join(dir, "data"), "-m", "immediate", "-w"];
  if (asRoot()) spawnSync("runuser", ["-u", OS_USER, "--", file, ...args], { cwd: dir, stdio: "ignore" });
  else spawnSync(file, args, { cwd: dir, stdio: "ignore" });
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts a throwaway PostgreSQL cluster (the newest installed major ≥ 15) owned by this process: `initdb` into a
 * fresh folder under `os.tmpdir()` (trust authentication, UTF8, locale C.UTF-8), then `pg_ctl start -w` listening on
 * 127.0.0.1 only, with a Unix socket in the folder, fsync/synchronous_commit/full_page_writes off and
 * max_connections=300. The port is the first free one in 59000-59999 from a random start; a start that loses a race
 * for its port ("could not bind") moves on to the next one, 25 ports at most. `wanted.port` asks for that port only
 * (the e2e run's, which both its server and its test process must know). As root, the folder is chowned to the
 * `postgres` user and initdb/pg_ctl run through `runuser -u postgres --` (so `os.tmpdir()` must be traversable by
 * that user; /tmp is). Takes about 1-3 s.
 *
 * Call `stop()` when done; should the process exit first, an exit hook stops the server and removes the folder
 * (not on SIGKILL). Rejects with {@link postgresAvailable}'s reason when PostgreSQL cannot run here, or with the
 * failing tool's output (initdb, or the server log's tail for pg_ctl); the folder is removed then.
 */
export async function startTestCluster(wanted: { port?: number } = {}): Promise<TestCluster> {
  const reason = postgresAvailable();
  if (reason) throw new Error(reason);
  const bin = findBinDir()!;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-pg-"));
  const data = path.join(dir, "data");
  const sock = path.join(dir, "sock");
  const log = path.join(dir, "server.log");
  fs.mkdirSync(sock);
  fs.writeFileSync(log, "");
  const onExit = () => stopNow(bin, dir);
  process.on("exit", onExit);
  let started = false;
  try {
    if (asRoot()) {
      const { uid, gid } = osUserIds()!;
      for (const p of [dir, sock, log]) fs.chownSync(p, uid, gid);
    }
    await pgTool(
      bin,
      "initdb",
      ["-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
      dir,
    );

    const first = PORT_FIRST + Math.floor(Math.random() * PORT_COUNT);
    const tried: number[] = [];
    for (let i = 0; i < (wanted.port ? 1 : PORT_COUNT) && tried.length < PORT_ATTEMPTS; i++) {
      const port = wanted.port ?? PORT_FIRST + ((first - PORT_FIRST + i) % PORT_COUNT);
      if (!(await canBind(port))) continue;
      tried.push(port);
      const logStart = fs.statSync(log).size;
      const options = [
        `-p ${port}`,
        `-k ${sock}`,
        "-c listen_addresses=127.0.0.1",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=300",
      ].join(" ");
      try {
        await pgTool(bin, "pg_ctl", ["start", "-w", "-t", "60", "-D", data, "-l", log, "-o", options], dir);
      } catch (error) {
        const tail = fs.readFileSync(log, "utf8").slice(logStart).trim();
        if (/could not bind|could not create any TCP\/IP sockets|address already in use/i.test(tail)) continue;
        const last = tail.split("\n").slice(-5).join(" | ");
        throw new Error(`${(error as Error).message}${last ? ` — server log: ${last}` : ""}`, { cause: error });
      }
      started = true;
      let stopped: Promise<void> | null = null;
      return {
        url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
        port,
        dir,
        stop: () =>
          (stopped ??= (async () => {
            process.off("exit", onExit);
            try {
              await pgTool(bin, "pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w", "-t", "60"], dir);
            } catch (error) {
              // "PID file … does not exist / Is server running?": the server is gone already (it crashed or was killed).
              if (!/is server running\?/i.test((error as Error).message)) throw error;
            } finally {
              fs.rmSync(dir, { recursive: true, force: true });
            }
          })()),
      };
    }
    throw new Error(
      `no free port for PostgreSQL in ${PORT_FIRST}-${PORT_FIRST + PORT_COUNT - 1} (tried ${tried.join(", ") || "none bindable"})`,
    );
  } finally {
    if (!started) {
      process.off("exit", onExit);
      stopNow(bin, dir); // a server that came up but failed pg_ctl's wait is stopped too
    }
  }
}

/** PostgreSQL identifiers the helpers create: lower case, digits and `_`, at most 63 bytes (NAMEDATALEN - 1). */
const DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A database name no test run may drop. */
const PROTECTED = new Set(["postgres", "template0", "template1"]);

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database (UTF8, from `template0`) on the cluster at `clusterUrl` (an admin URL such as
 * {@link TestCluster.url}; its own database is only connected to) and returns its URL: `clusterUrl` with the path
 * replaced by `/<name>`. `name` defaults to a unique `t_<time>_<pid>_<random>`; a given name must match
 * `^[a-z_][a-z0-9_]{0,62}$` (else TypeError). Rejects with pg's error when the server is unreachable or the
 * database exists (code 42P04).
 */
export async function createTestDatabase(clusterUrl: string, name?: string): Promise<string> {
  const db = name ?? `t_${Date.now().toString(36)}_${process.pid}_${randomBytes(4).toString("hex")}`;
  if (!DB_NAME.test(db)) throw new TypeError(`createTestDatabase: "${db}" is not a plain PostgreSQL name (${DB_NAME})`);
  await withClient(clusterUrl, (client) => client.query(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8'`));
  const url = new URL(clusterUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * Drops the database a URL from {@link createTestDatabase} names, cutting its open connections
 * (`DROP DATABASE IF EXISTS … WITH (FORCE)`), over a connection to the same server's `postgres` database. A
 * database that is already gone is fine. Throws TypeError for a URL without a plain database name or naming
 * postgres/template0/template1; rejects with pg's error when the server is unreachable.
 */
export async function dropTestDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const db = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!DB_NAME.test(db) || PROTECTED.has(db)) throw new TypeError(`dropTestDatabase: refusing to drop "${db}"`);
  target.pathname = "/postgres";
  await withClient(target.toString(), (client) => client.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
}
