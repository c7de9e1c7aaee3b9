import { randomUUID } from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { CHAIN_FIELDS, zeroTotals, type ChainTotals, type WorkerCounters } from "../haproxy/counters";
import { consoleRequest } from "./console-client";

// Traffic metrics on the node (docs/traffic.md "On the node", docs/edge.md "Metrics"). Requests, status classes and
// bytes per environment come from HAProxy's own counters (edge/haproxy/counters.ts), read from every worker at each
// flush and minute, so a lost log line never loses a request (docs/traffic.md "Counters"). HAProxy's public front
// also sends one JSON line per request over loopback UDP (edge/haproxy/render.ts METRICS_LOG_FORMAT): those give
// X-Cache, ModSecurity blocks, a fixed latency histogram and the last requests per environment (query keys only),
// and the last requests of a worker that exited after its last counter read. Additive deltas go to the console
// every EDGE_METRICS_FLUSH_SECONDS, each push with its own id. Undelivered pushes wait in a bounded spool on disk.

/** Upper bounds (ms, inclusive) of the fixed latency buckets; a 12th bucket holds slower requests (docs/traffic.md). */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Number of latency buckets (bounds + the open last one). */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

/** Requests kept per environment between two pushes (the console keeps the last 100 over all nodes). */
export const RECENT_PER_ENVIRONMENT = 100;

/** Recent requests in one push, over all environments (about 150 bytes each). */
export const RECENT_PER_PUSH = 20_000;

/** Spool bounds: oldest pushes are dropped (and counted) beyond these. */
export const SPOOL_MAX_FILES = 2000;
export const SPOOL_MAX_BYTES = 64 * 1024 * 1024;

/** The node's health path (docs/edge.md "Drain and the node's health"): never counted, even if a line arrives. */
const NODE_HEALTH_PATH = "/.well-known/edge-node/health";

/** One request as HAProxy logged it (see METRICS_LOG_FORMAT in edge/haproxy/render.ts). */
export type LogRecord = {
  environmentId: number;
  /** The HAProxy worker that answered (its counters hold the request), or null in a line without one. */
  pid: number | null;
  /** When HAProxy logged it (the request's end), epoch ms, or null in a line without it. */
  endAt: number | null;
  /** Accept time, epoch ms. */
  at: number;
  method: string;
  /** Path and query keys only, no values (`/search?q&page`). */
  path: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** Total active time in ms (0 when HAProxy logged -1 for an aborted request). */
  durationMs: number;
  cache: "HIT" | "MISS" | "PASS" | null;
  /** X-Edge-Status of the answer, or null. */
  edgeStatus: string | null;
  requestId: string;
};

/**
 * Additive counters of one environment over one minute, as pushed (docs/edge.md "Metrics"). `requests`, the status
 * classes and the bytes are HAProxy's counters; hits/misses/passes, blocked and `latency` count the log lines
 * received (so the histogram may hold fewer requests than `requests` when lines were lost).
 */
export type MinuteCounts = {
  environmentId: number;
  /** Epoch ms of the minute's start. */
  at: number;
  requests: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  bytesIn: number;
  bytesOut: number;
  hits: number;
  misses: number;
  passes: number;
  blocked: number;
  /** LATENCY_BUCKET_COUNT counts. */
  latency: number[];
};

/** One recent request as pushed: never bodies, cookies or query values. */
export type RecentRequest = {
  environmentId: number;
  at: number;
  method: string;
  path: string;
  status: number;
  cache: string | null;
  durationMs: number;
  requestId: string;
};

/** The body of POST /api/edge/v1/metrics (docs/edge.md "Metrics"). */
export type MetricsPush = {
  pushId: string;
  /** Epoch ms when the push was made (the minute its loss counts are booked to). */
  createdAt: number;
  /** Log lines the node knows it lost since the previous push (HAProxy dropped, socket drops, unreadable lines). */
  lostLogs: number;
  /** Pushes dropped from the full spool since the previous push. */
  droppedPushes: number;
  minutes: MinuteCounts[];
  recent: RecentRequest[];
};

/**
 * Keeps the path and the query's keys of a request target, never the values (`/a?x=1&y=2` → `/a?x&y`). Returns the
 * text cut to 512 characters.
 */
export function withoutQueryValues(uri: string): string {
  const q = uri.indexOf("?");
  if (q < 0) return uri.slice(0, 512);
  const keys = uri
    .slice(q + 1)
    .split("&")
    .filter(Boolean)
    .map((kv) => kv.split("=")[0]);
  return `${uri.slice(0, q)}${keys.length ? `?${keys.join("&")}` : ""}`.slice(0, 512);
}

/** Index of the latency bucket for `ms` (LATENCY_BUCKETS_MS; the last index for anything slower). */
export function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]) return i;
  return LATENCY_BUCKETS_MS.length;
}

/** What one logged request adds to HAProxy's counters (a response of its status class, its bytes). */
function lineTotals(r: { status: number; bytesIn: number; bytesOut: number }): ChainTotals {
  const t = zeroTotals();
  t.responses = 1;
  if (r.status >= 200 && r.status < 300) t.status2xx = 1;
  else if (r.status >= 300 && r.status < 400) t.status3xx = 1;
  else if (r.status >= 400 && r.status < 500) t.status4xx = 1;
  else if (r.status >= 500 && r.status < 600) t.status5xx = 1;
  t.bytesIn = r.bytesIn;
  t.bytesOut = r.bytesOut;
  return t;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "-" && v !== "" ? v : null;
}

/**
 * Parses one log line of METRICS_LOG_FORMAT. Returns null for a line that belongs to no environment (a hostname
 * that maps to none, a bad request, the node's health path); throws for a line that is not the format (counted as
 * lost by the caller).
 */
export function parseLogLine(text: string): LogRecord | null {
  const j = JSON.parse(text) as Record<string, unknown>;
  const key = str(j.e);
  if (!key) return null;
  const m = /^e([1-9][0-9]{0,11})$/.exec(key);
  if (!m) throw new Error(`unknown environment key ${key}`);
  const uri = str(j.u) ?? "/";
  if (uri === NODE_HEALTH_PATH || uri.startsWith(`${NODE_HEALTH_PATH}?`)) return null;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
  if (typeof j.t !== "number" || typeof j.s !== "number") throw new Error("line without time or status");
  const cache = str(j.c)?.toUpperCase() ?? null;
  return {
    environmentId: Number(m[1]),
    pid: typeof j.p === "number" && Number.isInteger(j.p) && j.p > 0 ? j.p : null,
    endAt: typeof j.d === "number" && Number.isFinite(j.d) ? j.d : null,
    at: j.t,
    method: (str(j.m) ?? "-").slice(0, 16),
    path: withoutQueryValues(uri),
    status: j.s,
    bytesIn: num(j.bi),
    bytesOut: num(j.bo),
    durationMs: num(j.ta),
    cache: cache === "HIT" || cache === "MISS" || cache === "PASS" ? cache : null,
    edgeStatus: str(j.x),
    requestId: (str(j.id) ?? "").slice(0, 128),
  };
}

/**
 * Counts per environment and minute: log records (`add`) and counter deltas (`addCounted`); keeps the last requests
 * per environment.
 */
export class MetricsCounter {
  private minutes = new Map<string, MinuteCounts>();
  private recent = new Map<number, RecentRequest[]>();

  /**
   * @param countLines true: a log line also counts its request, status class and bytes (no HAProxy counters, as in
   *   unit tests of the log path); false: those come from {@link addCounted} only.
   */
  constructor(private readonly countLines = true) {}

  private minute(environmentId: number, epochMs: number): MinuteCounts {
    const at = epochMs - (epochMs % 60_000);
    const k = `${environmentId}:${at}`;
    let c = this.minutes.get(k);
    if (!c) {
      c = {
        environmentId,
        at,
        requests: 0,
        status2xx: 0,
        status3xx: 0,
        status4xx: 0,
        status5xx: 0,
        bytesIn: 0,
        bytesOut: 0,
        hits: 0,
        misses: 0,
        passes: 0,
        blocked: 0,
        latency: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
      };
      this.minutes.set(k, c);
    }
    return c;
  }

  /** Adds a delta of HAProxy's counters (requests answered, status classes, bytes) to the minute of `epochMs`. */
  addCounted(environmentId: number, epochMs: number, d: ChainTotals): void {
    const c = this.minute(environmentId, epochMs);
    c.requests += d.responses;
    c.status2xx += d.status2xx;
    c.status3xx += d.status3xx;
    c.status4xx += d.status4xx;
    c.status5xx += d.status5xx;
    c.bytesIn += d.bytesIn;
    c.bytesOut += d.bytesOut;
  }

  /** Adds one logged request to the minute of its accept time. */
  add(r: LogRecord): void {
    const c = this.minute(r.environmentId, r.at);
    if (this.countLines) this.addCounted(r.environmentId, r.at, lineTotals(r));
    if (r.cache === "HIT") c.hits++;
    else if (r.cache === "MISS") c.misses++;
    else if (r.cache === "PASS") c.passes++;
    if (r.status === 403 && r.edgeStatus === "waf-blocked") c.blocked++;
    c.latency[latencyBucket(r.durationMs)]++;
    let ring = this.recent.get(r.environmentId);
    if (!ring) this.recent.set(r.environmentId, (ring = []));
    ring.push({
      environmentId: r.environmentId,
      at: r.at,
      method: r.method,
      path: r.path,
      status: r.status,
      cache: r.cache,
      durationMs: r.durationMs,
      requestId: r.requestId,
    });
    if (ring.length > RECENT_PER_ENVIRONMENT * 2) ring.splice(0, ring.length - RECENT_PER_ENVIRONMENT);
  }

  /**
   * Takes what was counted since the last call (the counter starts again from zero). Recent requests are cut to
   * RECENT_PER_PUSH in all, shared evenly between environments (at least one each), so a push stays far below the
   * console's body limit however many environments the node serves.
   */
  take(): { minutes: MinuteCounts[]; recent: RecentRequest[] } {
    const minutes = [...this.minutes.values()];
    const each = Math.max(1, Math.min(RECENT_PER_ENVIRONMENT, Math.floor(RECENT_PER_PUSH / Math.max(1, this.recent.size))));
    const recent = [...this.recent.values()].flatMap((ring) => ring.slice(-each));
    this.minutes = new Map();
    this.recent = new Map();
    return { minutes, recent };
  }
}

/** Drops counted for the UDP socket bound to `port` on 127.x (the last column of /proc/net/udp), or 0. */
function socketDrops(port: number): number {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    for (const line of fs.readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hexPort}`)) return Number(f[f.length - 1]) || 0;
    }
  } catch {
    // not Linux: no per-socket drop counter
  }
  return 0;
}

/** Settings of {@link EdgeMetrics}. */
export type EdgeMetricsOptions = {
  consoleUrl: URL;
  nodeToken: string;
  /** Loopback address and UDP port the listener binds. */
  host: string;
  port: number;
  flushSeconds: number;
  /** Folder of the spool (made 0700). */
  spoolDir: string;
  /** HAProxy's DroppedLogs counter (cumulative, resets when a new worker starts), or null when unknown. */
  droppedLogs: () => Promise<number | null>;
  log: (line: string) => void;
  /** Spool bound in pushes (default SPOOL_MAX_FILES). */
  spoolMaxFiles?: number;
  /**
   * Every HAProxy worker's per-environment counters (edge/haproxy/counters.ts readWorkerCounters). Without it the
   * log lines count the requests too (tests of the log path alone).
   */
  counters?: () => Promise<WorkerCounters[]>;
  /** The agent's holds on HAProxy's workers (edge/agent/hold.ts): a retired worker lives on until its final read. */
  holds?: { ensure(currentPid: number): Promise<void>; release(pid: number): void };
  /** Where the last counter reads are kept, so an agent restarted beside a running HAProxy goes on from them. */
  countersFile?: string;
  /** The UDP socket's receive buffer in bytes (default 8 MiB; the kernel caps it at net.core.rmem_max). */
  receiveBufferBytes?: number;
};

/** Lines of a worker's requests kept between two counter reads (the newest beyond this are kept, see below). */
export const TAIL_LINES = 50_000;

/** Counter reads happen at least this often (ms), besides each flush, each minute and before a reload. */
const COUNTER_READ_MS = 5000;

/** How long a worker must be gone before its tail is counted: log lines sent just before it exited arrive late. */
const TAIL_GRACE_MS = 2000;

/** One logged request of a worker that ended after the worker's last counter read. */
type TailLine = { endAt: number; status: number; bytesIn: number; bytesOut: number };

/**
 * What the agent knows of one HAProxy worker: its counters at the last read (`last`, taken at `lastReadAt`), and the
 * log lines of requests that ended after that read (`pending`, per environment): if the worker exits before its next
 * read, they are the only record of those requests.
 */
type WorkerState = {
  read: boolean;
  startedAt: number;
  lastReadAt: number;
  last: Map<number, ChainTotals>;
  pending: Map<number, TailLine[]>;
  pendingCount: number;
  goneAt: number | null;
  firstLineAt: number;
};

/**
 * The node's metrics: a UDP listener for HAProxy's log lines, a counter, and the push loop with its spool
 * (docs/traffic.md "On the node"). `start()` binds before HAProxy is configured to log to it.
 */
export class EdgeMetrics {
  readonly counter: MetricsCounter;
  private socket: dgram.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unreadable = 0;
  private lastUnreadable = "";
  private lastDropped: number | null = null;
  private lastSocketDrops = 0;
  private droppedPushes = 0;
  private revoked = false;
  private flushing: Promise<void> = Promise.resolve();
  private reading: Promise<void> = Promise.resolve();
  private minuteTimer: NodeJS.Timeout | null = null;
  private readTimer: NodeJS.Timeout | null = null;
  private readonly workers = new Map<number, WorkerState>();
  /** Workers whose tail was counted: later lines or reads of them are not counted again (newest 1,000 pids). */
  private readonly finished = new Set<number>();
  /** Counter reads of the previous agent run (countersFile), used once per worker still running. */
  private restored = new Map<number, { startedAt: number; chains: Map<number, ChainTotals> }>();
  private readonly startedAt = Date.now();
  private counterError = "";
  private proxiesStopped = false;
  /** HAProxy is being stopped: every worker is retiring, read until it has no session left, none held anew. */
  private retiring = false;
  /** Lines received (tests and the benchmark read it). */
  received = 0;

  constructor(private readonly o: EdgeMetricsOptions) {
    this.counter = new MetricsCounter(!o.counters);
  }

  /** Where HAProxy sends its lines. */
  get target(): { host: string; port: number } {
    return { host: this.o.host, port: this.o.port };
  }

  /**
   * Binds the UDP listener and starts the flush timer (the first flush also sends what an earlier run spooled).
   * Rejects when the port cannot be bound.
   */
  async start(): Promise<void> {
    fs.mkdirSync(this.o.spoolDir, { recursive: true, mode: 0o700 });
    const socket = dgram.createSocket({ type: "udp4", recvBufferSize: this.o.receiveBufferBytes ?? 8 * 1024 * 1024 });
    socket.on("message", (msg) => this.line(msg.toString("utf8")));
    socket.on("error", (e) => this.o.log(`metrics socket: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.o.port, this.o.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    this.socket = socket;
    this.lastSocketDrops = socketDrops(this.o.port);
    this.timer = setInterval(() => void this.flush(), this.o.flushSeconds * 1000);
    this.timer.unref();
    if (this.o.counters) {
      this.restore();
      this.scheduleMinuteRead();
      // Frequent reads keep a worker's lines since its last read few (what a reload's old worker leaves to them).
      this.readTimer = setInterval(() => void this.readCounters(), COUNTER_READ_MS);
      this.readTimer.unref();
    }
  }

  /** Reads the counters just after every minute starts, so each minute gets what was answered in it. */
  private scheduleMinuteRead(): void {
    const wait = 60_000 - (Date.now() % 60_000) + 20;
    this.minuteTimer = setTimeout(() => {
      void this.readCounters().finally(() => {
        if (this.minuteTimer) this.scheduleMinuteRead();
      });
    }, wait);
    this.minuteTimer.unref();
  }

  /**
   * Reads every HAProxy worker's counters and adds what each environment answered since the previous read to the
   * current minute (docs/traffic.md "Counters"). Called at each flush and minute, and by the agent just before it
   * reloads HAProxy (the old worker's counts are then nearly final). Never throws: a failed read is logged once and
   * the next read catches up (the counters are cumulative).
   */
  readCounters(): Promise<void> {
    const run = this.reading.then(() => this.readCountersNow());
    this.reading = run.catch(() => undefined);
    return this.reading;
  }

  private async readCountersNow(): Promise<void> {
    if (!this.o.counters || this.proxiesStopped) return;
    let list: WorkerCounters[];
    try {
      list = await this.o.counters();
      this.counterError = "";
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.counterError) this.o.log(`metrics: HAProxy's counters not read (${message}); the next read catches up`);
      this.counterError = message;
      return;
    }
    const now = Date.now();
    const seen = new Set<number>();
    for (const w of list) {
      if (this.finished.has(w.pid)) continue;
      seen.add(w.pid);
      let st = this.workers.get(w.pid);
      if (!st) this.workers.set(w.pid, (st = this.newWorker(now)));
      if (!st.read) this.firstRead(st, w);
      for (const [env, totals] of w.chains) {
        const prev = st.last.get(env) ?? zeroTotals();
        const d = zeroTotals();
        let any = false;
        for (const f of CHAIN_FIELDS) {
          d[f] = Math.max(0, totals[f] - prev[f]);
          if (d[f]) any = true;
        }
        if (any) this.counter.addCounted(env, now, d);
      }
      st.last = w.chains;
      st.lastReadAt = w.readAt;
      st.goneAt = null;
      if (w.current && !this.retiring) void this.o.holds?.ensure(w.pid);
      else if (w.publicSessions === 0) {
        // A retired worker with no session left on the public front can answer nothing more: these counters are
        // final, its lines are all in them. It may go.
        this.workers.delete(w.pid);
        this.finish(w.pid);
        this.o.holds?.release(w.pid);
        continue;
      }
      // Requests that ended before the read are in its counters.
      st.pendingCount = 0;
      for (const [env, lines] of st.pending) {
        const later = lines.filter((l) => l.endAt > w.readAt);
        if (later.length) st.pending.set(env, later);
        else st.pending.delete(env);
        st.pendingCount += later.length;
      }
    }
    for (const [pid, st] of this.workers) {
      if (seen.has(pid)) continue;
      // A worker never read whose lines came a while ago exited before any read: its lines are all there is.
      if (!st.read && now - st.firstLineAt < TAIL_GRACE_MS) continue;
      st.goneAt ??= now;
      if (now - st.goneAt < TAIL_GRACE_MS && st.read) continue;
      this.countTail(st, pid, now);
      this.workers.delete(pid);
      this.finish(pid);
    }
  }

  /** Notes a worker whose count is complete: later lines or reads of it are not counted (newest 1,000 pids). */
  private finish(pid: number): void {
    this.finished.add(pid);
    if (this.finished.size > 1000) this.finished.delete(this.finished.values().next().value!);
  }

  /**
   * HAProxy is soft-stopping (the agent stops with its proxies): reads every worker every 100 ms until each has no
   * session left on the public front and got its final read, or `timeoutMs` passes. Resolves with the workers left.
   */
  async readUntilRetired(timeoutMs: number): Promise<number> {
    this.retiring = true;
    const end = Date.now() + timeoutMs;
    for (;;) {
      await this.readCounters();
      const left = [...this.workers.values()].filter((st) => st.read).length;
      if (left === 0 || Date.now() >= end) return left;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * HAProxy was stopped (the agent stops with its proxies, after a last read): every worker's requests after its last
   * read are counted from its log lines, now that no more can come. Later reads do nothing.
   */
  proxiesGone(): void {
    this.proxiesStopped = true;
    const now = Date.now();
    for (const [pid, st] of this.workers) {
      this.countTail(st, pid, now);
      this.workers.delete(pid);
      this.finish(pid);
    }
  }

  private newWorker(now: number): WorkerState {
    return {
      read: false,
      startedAt: 0,
      lastReadAt: -Infinity,
      last: new Map(),
      pending: new Map(),
      pendingCount: 0,
      goneAt: null,
      firstLineAt: now,
    };
  }

  /**
   * The first read of a worker: one started after this agent counts from zero; one the previous agent run read goes
   * on from that read; any other (a HAProxy adopted without saved reads) is counted from this read on.
   */
  private firstRead(st: WorkerState, w: WorkerCounters): void {
    st.read = true;
    st.startedAt = w.startedAt;
    const saved = this.restored.get(w.pid);
    this.restored.delete(w.pid);
    if (w.startedAt >= this.startedAt - 1000) return;
    if (saved && Math.abs(saved.startedAt - w.startedAt) <= 2000) {
      st.last = saved.chains;
    } else {
      st.last = w.chains;
      this.o.log(`metrics: HAProxy worker ${w.pid} was running before this agent: its requests are counted from now on`);
    }
  }

  /**
   * A worker that exited: the requests it answered after its last counter read are known only from its log lines,
   * those whose end time (`d`, HAProxy's clock at logging) is later than the read. A lost line among them is a
   * request missed, reported as a lost line like any other.
   */
  private countTail(st: WorkerState, pid: number, now: number): void {
    let n = 0;
    for (const [env, lines] of st.pending) {
      for (const line of lines) this.counter.addCounted(env, now, lineTotals(line));
      n += lines.length;
    }
    if (st.read)
      this.o.log(
        `metrics: HAProxy worker ${pid} exited before its final read: ${n} request(s) after its last read counted from its log lines`,
      );
  }

  /** Keeps a logged request of a worker that ended after the worker's last read (for its tail). */
  private tally(r: LogRecord): void {
    if (r.pid === null || r.status < 100 || this.finished.has(r.pid)) return;
    let st = this.workers.get(r.pid);
    if (!st) this.workers.set(r.pid, (st = this.newWorker(Date.now())));
    const endAt = r.endAt ?? Date.now();
    if (endAt <= st.lastReadAt) return;
    let lines = st.pending.get(r.environmentId);
    if (!lines) st.pending.set(r.environmentId, (lines = []));
    lines.push({ endAt, status: r.status, bytesIn: r.bytesIn, bytesOut: r.bytesOut });
    // Bounded between reads (every few seconds): beyond, the older half of each environment's lines goes (the next
    // read most likely counts them), in one pass so a flood costs no more per line.
    if (++st.pendingCount > TAIL_LINES) {
      for (const kept of st.pending.values()) {
        const drop = Math.ceil(kept.length / 2);
        kept.splice(0, drop);
        st.pendingCount -= drop;
      }
    }
  }

  private restore(): void {
    if (!this.o.countersFile) return;
    try {
      const saved = JSON.parse(fs.readFileSync(this.o.countersFile, "utf8")) as {
        workers: { pid: number; startedAt: number; chains: [number, ChainTotals][] }[];
      };
      for (const w of saved.workers) this.restored.set(w.pid, { startedAt: w.startedAt, chains: new Map(w.chains) });
    } catch {
      // none yet, or unreadable: workers running before this agent are counted from its first read
    }
  }

  /** The reads whose increases are in the counter now (taken with them, see flushNow). */
  private reads(): { pid: number; startedAt: number; chains: [number, ChainTotals][] }[] {
    return [...this.workers].filter(([, st]) => st.read).map(([pid, st]) => ({ pid, startedAt: st.startedAt, chains: [...st.last] }));
  }

  /**
   * Saves the reads a push was made from, after the push is spooled: a restarted agent (stopped, or killed) goes on
   * from what reached the spool. Saved at each read instead, a killed agent would lose what was read since the last
   * push (up to EDGE_METRICS_FLUSH_SECONDS of requests). Killed between the spool and this write, the next agent
   * counts that one push's increases again.
   */
  private save(workers: { pid: number; startedAt: number; chains: [number, ChainTotals][] }[]): void {
    if (!this.o.countersFile) return;
    try {
      fs.writeFileSync(`${this.o.countersFile}.tmp`, JSON.stringify({ workers }), { mode: 0o600 });
      fs.renameSync(`${this.o.countersFile}.tmp`, this.o.countersFile);
    } catch (error) {
      this.o.log(`metrics: counter reads not saved (${(error as Error).message})`);
    }
  }

  /** Counts one log line (a datagram may hold one line, with or without its newline). */
  line(text: string): void {
    this.received++;
    for (const l of text.split("\n")) {
      // HAProxy also sends its own notices there ("Proxy public stopped …" on a reload): not request lines.
      if (!l.startsWith("{")) continue;
      try {
        const r = parseLogLine(l);
        if (r) {
          this.counter.add(r);
          if (this.o.counters) this.tally(r);
        }
      } catch (error) {
        if (this.unreadable++ === 0) this.lastUnreadable = `${(error as Error).message}: ${l.slice(0, 200)}`;
      }
    }
  }

  /** Log lines lost since the previous call: HAProxy's dropped logs, socket drops, unreadable lines. */
  private async lost(): Promise<number> {
    const unreadable = this.unreadable;
    this.unreadable = 0;
    let haproxy = 0;
    const dropped = await this.o.droppedLogs().catch(() => null);
    if (dropped !== null) {
      haproxy = this.lastDropped === null ? 0 : dropped >= this.lastDropped ? dropped - this.lastDropped : dropped;
      this.lastDropped = dropped;
    }
    const drops = socketDrops(this.o.port);
    const socket = Math.max(0, drops - this.lastSocketDrops);
    this.lastSocketDrops = drops;
    const lost = unreadable + haproxy + socket;
    if (lost) {
      this.o.log(
        `metrics: ${lost} log line(s) lost (HAProxy dropped ${haproxy}, socket dropped ${socket}, unreadable ${unreadable}` +
          `${unreadable ? `, e.g. ${this.lastUnreadable}` : ""}); the console is told`,
      );
    }
    return lost;
  }

  /** Makes a push of what was counted (spooled first), then sends the spool oldest first. Never throws. */
  flush(send = true): Promise<void> {
    const run = this.flushing.then(() => this.flushNow(send));
    this.flushing = run.catch(() => undefined);
    return this.flushing;
  }

  private async flushNow(send: boolean): Promise<void> {
    await this.readCounters();
    const { minutes, recent } = this.counter.take();
    // Taken with the counts: a read that runs while this push is written belongs to the next push.
    const reads = this.o.counters ? this.reads() : null;
    const lostLogs = await this.lost();
    if (minutes.length || lostLogs || this.droppedPushes) {
      const push: MetricsPush = {
        pushId: randomUUID(),
        createdAt: Date.now(),
        lostLogs,
        droppedPushes: this.droppedPushes,
        minutes,
        recent,
      };
      this.droppedPushes = 0;
      const file = path.join(this.o.spoolDir, `${String(push.createdAt).padStart(15, "0")}-${push.pushId}.json`);
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(push), { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file);
      this.boundSpool();
    }
    if (reads) this.save(reads);
    if (send && !this.revoked) await this.sendSpool();
  }

  /** Oldest pushes beyond SPOOL_MAX_FILES / SPOOL_MAX_BYTES are removed and counted in the next push. */
  private boundSpool(): void {
    const files = this.spoolFiles();
    let bytes = files.reduce((n, f) => n + f.size, 0);
    let count = files.length;
    for (const f of files) {
      if (count <= (this.o.spoolMaxFiles ?? SPOOL_MAX_FILES) && bytes <= SPOOL_MAX_BYTES) break;
      fs.rmSync(f.path, { force: true });
      count--;
      bytes -= f.size;
      this.droppedPushes++;
    }
  }

  private spoolFiles(): { path: string; size: number }[] {
    return fs
      .readdirSync(this.o.spoolDir)
      .filter((n) => n.endsWith(".json"))
      .sort()
      .map((n) => {
        const p = path.join(this.o.spoolDir, n);
        return { path: p, size: fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0 };
      });
  }

  /** Pushes waiting in the spool (tests read it). */
  spooled(): number {
    return this.spoolFiles().length;
  }

  private async sendSpool(): Promise<void> {
    for (const f of this.spoolFiles()) {
      let body: string;
      try {
        body = fs.readFileSync(f.path, "utf8");
      } catch {
        continue;
      }
      let status: number;
      let text = "";
      try {
        const res = await consoleRequest(new URL("/api/edge/v1/metrics", this.o.consoleUrl), {
          token: this.o.nodeToken,
          body,
          timeoutMs: 15_000,
        });
        status = res.status;
        text = res.text;
      } catch (error) {
        this.o.log(`metrics push not delivered (${(error as Error).message}); ${this.spooled()} push(es) spooled`);
        return;
      }
      if (status === 401) {
        this.revoked = true;
        this.o.log("the console refused this node's token (401): metrics are no longer pushed");
        return;
      }
      if (status >= 200 && status < 300) {
        fs.rmSync(f.path, { force: true });
      } else if (status >= 400 && status < 500) {
        // Refused for its content: sending it again would be refused again.
        fs.rmSync(f.path, { force: true });
        this.o.log(`metrics push refused (${status}): ${text.slice(0, 300)}`);
      } else {
        this.o.log(`metrics push: the console answered ${status}; ${this.spooled()} push(es) spooled`);
        return;
      }
    }
  }

  /**
   * Stops the listener and the timer; what was counted since the last push is spooled (not sent, so a slow console
   * never holds up a stop) and goes with the next start's first push.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.minuteTimer) clearTimeout(this.minuteTimer);
    this.minuteTimer = null;
    if (this.readTimer) clearInterval(this.readTimer);
    this.readTimer = null;
    if (this.socket) await this.flush(false);
    this.socket?.close();
    this.socket = null;
  }
}
